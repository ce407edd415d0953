"""Human-readable output: violations grouped by file, then a one-line summary.

Every name and message goes through ``paths.one_line``: one line each, with no control character
(a file name's CR or ESC is spelled ``\\x0d``, ``\\x1b``) and nothing a CI log reads as a command.
Report paths are already spelled so by ``paths.printable``; this covers what a baseline or a shard
report brings in, and messages.
"""
from __future__ import annotations

import operator
from itertools import groupby
from typing import TextIO

from qualitygate.gate.rules import RULES
from qualitygate.models import GateResult, Severity, SuggestionKind, Violation, format_number
from qualitygate.outputs import ReportContext
from qualitygate.paths import one_line

_RED, _YELLOW, _GREEN, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[32m", "\033[1m", "\033[0m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def _violation_line(v: Violation, color: bool, info: bool = False) -> str:
    quiet = info or v.severity is Severity.WARNING
    code = _paint(v.rule, _YELLOW if quiet else _RED, color) if color else v.rule
    kind = " info" if info else " warning" if v.severity is Severity.WARNING else ""
    value, threshold = format_number(v.value), format_number(v.threshold)
    # Issue 4: say why a recorded offender fails, and that an unchanged one does not.
    note = " (not changed since the --diff base; not gated)" if info else ""
    if v.baseline_value is not None:
        note = f" (worse than the baseline's {format_number(v.baseline_value)})"
    # The metric's name and comparison by its rule: str keys (2,000 lines on the stdlib).
    metric, comparison = _METRIC_OF.get(v.rule) or (v.metric.value, v.comparison)
    where, symbol = one_line(v.path), one_line(v.symbol)
    return f"{where}:{v.line}: {code}{kind} {symbol} {metric} {value} {comparison} {threshold}{note}"


_METRIC_OF = {rule.code: (rule.metric.value, rule.symbol) for rule in RULES}


def _fixed_lines(result: GateResult) -> list[str]:
    """Baseline entries that no longer fail, and how to lock the improvement in (issue 4)."""
    if not result.fixed:
        return []
    lines = ["fixed since the baseline (run 'qualitygate baseline --prune' to tighten it):"]
    for f in result.fixed:
        now = "gone" if f.value is None else f"now {format_number(f.value)}"
        lines.append(f"  {one_line(f.path)}: {f.rule} {one_line(f.symbol)} was {format_number(f.recorded)}, {now}")
    return [*lines, ""]


def _suggestion_lines(result: GateResult) -> dict[tuple[str, str, int, str], list[str]]:
    """Indented advice lines per violation (issue 6): the rule-based one, then any AI rewrite."""
    found: dict[tuple[str, str, int, str], list[str]] = {}
    for s in result.suggestions:
        text = f"    suggestion: {one_line(s.text)}"
        if s.kind is SuggestionKind.AI:
            text = f"    {one_line(s.text)}; `qualitygate suggest {one_line(s.path)}` prints the patch"
        found.setdefault((s.path, s.rule, s.line, s.qualname or s.path), []).append(text)
    return found


_PATH = operator.itemgetter(0)


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """One block per file with problems; errors name the path and line."""
    advice = _suggestion_lines(result)
    lines = [(v.path, line) for v in result.violations
             for line in (_violation_line(v, context.color),
                          *advice.get((v.path, v.rule, v.line, v.symbol), ()))]  # fmt: skip
    lines += [(v.path, _violation_line(v, context.color, info=True)) for v in result.informational]
    for e in result.errors:
        where = one_line(f"{e.path}:{e.line}" if e.line else e.path)
        lines.append((e.path, f"{where}: {_paint('error', _RED, context.color)} {one_line(e.message)}"))
    lines.sort(key=_PATH)
    # One write of the whole report: 6,000 writes of a line each cost more than making it.
    out: list[str] = []
    for _, group in groupby(lines, key=_PATH):
        out.extend(line + "\n" for _, line in group)
        out.append("\n")
    out.extend(line + "\n" for line in _fixed_lines(result))
    out.append(summary_line(result, context.color) + "\n")
    stream.write("".join(out))


def summary_line(result: GateResult, color: bool = False) -> str:
    """``PASSED``/``FAILED`` with the counts behind the verdict."""
    s = result.summary
    parts = ", ".join(f"{n} {metric}" for metric, n in s.by_metric.items() if n)
    detail = f" ({parts})" if parts else ""
    verdict = _paint("PASSED", _GREEN, color) if result.passed else _paint("FAILED", _RED, color)
    warnings = f", {s.warnings} warning{'s' * (s.warnings != 1)}" if s.warnings else ""
    # Offenders that do not fail are counted too, so none is silently gone (issue 4).
    counts = ((s.baselined, "baselined"), (s.suppressed, "suppressed"), (s.fixed, "fixed"),
              (s.informational, "not changed (info)"))  # fmt: skip
    set_aside = "".join(f", {n} {label}" for n, label in counts if n)
    return (
        f"{_paint('qualitygate', _BOLD, color)} {verdict}: {s.files} file{'s' * (s.files != 1)}, "
        f"{s.functions} function{'s' * (s.functions != 1)}, {s.violations} violation"
        f"{'s' * (s.violations != 1)}{detail}{warnings}{set_aside}, "
        f"{s.errors} error{'s' * (s.errors != 1)}"
    )
