"""Human-readable output: violations grouped by file, then a one-line summary."""
from __future__ import annotations

from itertools import groupby
from typing import TextIO

from qualitygate.models import GateResult, Severity, Violation, format_number
from qualitygate.reporters import ReportContext

_RED, _YELLOW, _GREEN, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[32m", "\033[1m", "\033[0m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def _violation_line(v: Violation, color: bool) -> str:
    code = _paint(v.rule, _YELLOW if v.severity is Severity.WARNING else _RED, color)
    kind = " warning" if v.severity is Severity.WARNING else ""
    value, threshold = format_number(v.value), format_number(v.threshold)
    return (
        f"{v.path}:{v.line}: {code}{kind} {v.symbol} {v.metric.value} "
        f"{value} {v.comparison} {threshold}"
    )


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """One block per file with problems; errors name the path and line."""
    lines = [(v.path, _violation_line(v, context.color)) for v in result.violations]
    for e in result.errors:
        where = f"{e.path}:{e.line}" if e.line else e.path
        lines.append((e.path, f"{where}: {_paint('error', _RED, context.color)} {e.message}"))
    lines.sort(key=lambda item: item[0])
    for _, group in groupby(lines, key=lambda item: item[0]):
        for _, line in group:
            stream.write(line + "\n")
        stream.write("\n")
    stream.write(summary_line(result, context.color) + "\n")


def summary_line(result: GateResult, color: bool = False) -> str:
    """``PASSED``/``FAILED`` with the counts behind the verdict."""
    s = result.summary
    parts = ", ".join(f"{n} {metric}" for metric, n in s.by_metric.items() if n)
    detail = f" ({parts})" if parts else ""
    verdict = _paint("PASSED", _GREEN, color) if result.passed else _paint("FAILED", _RED, color)
    warnings = f", {s.warnings} warning{'s' * (s.warnings != 1)}" if s.warnings else ""
    return (
        f"{_paint('qualitygate', _BOLD, color)} {verdict}: {s.files} file{'s' * (s.files != 1)}, "
        f"{s.functions} function{'s' * (s.functions != 1)}, {s.violations} violation"
        f"{'s' * (s.violations != 1)}{detail}{warnings}, {s.errors} error{'s' * (s.errors != 1)}"
    )
