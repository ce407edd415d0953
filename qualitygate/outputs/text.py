"""Human-readable output: violations grouped by file, then a one-line summary.

Every name and message goes through ``paths.one_line``: one line each, with no control character
(a file name's CR or ESC is spelled ``\\x0d``, ``\\x1b``) and nothing a CI log reads as a command.
Report paths are already spelled so by ``paths.printable``; this covers what a baseline or a shard
report brings in, and messages.
"""
from __future__ import annotations

import operator
from collections import Counter
from itertools import groupby
from typing import TextIO

from qualitygate.gate.rules import COVERAGE_RULES, RULES
from qualitygate.metrics.notebook import Cells, cell_line, notebook_cells
from qualitygate.models import GateResult, Severity, SuggestionKind, Violation, format_number
from qualitygate.outputs import ReportContext
from qualitygate.paths import one_line

_RED, _YELLOW, _GREEN, _BOLD, _RESET = "\033[31m", "\033[33m", "\033[32m", "\033[1m", "\033[0m"


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


_NOTES = {
    "info": " (not changed since the --diff base; not gated)",
    "preexisting": " (failed at the --diff merge-base too, at {base}, and got no worse; not gated)",
}


def place(v: Violation, cells: Cells) -> str:
    """``path:line``; in a notebook ``path:cell 3:line 4``, the line inside the cell (issue 15)."""
    found = cell_line(cells, v.path, v.line)
    line = f"cell {found.cell}:line {found.line}" if found else v.line
    return f"{one_line(v.path)}:{line}"


def _violation_line(v: Violation, color: bool, cells: Cells, info: str = "") -> str:
    quiet = info or v.severity is Severity.WARNING
    code = _paint(v.rule, _YELLOW if quiet else _RED, color) if color else v.rule
    kind = " info" if info else " warning" if v.severity is Severity.WARNING else ""
    value, threshold = format_number(v.value), format_number(v.threshold)
    # Issue 4: say why a recorded offender fails, and that an unchanged one does not.
    note = _NOTES[info].format(base=format_number(v.base_value or 0)) if info else ""
    if v.baseline_value is not None:
        note = f" (worse than the baseline's {format_number(v.baseline_value)})"
    # The metric's name and comparison by its rule: str keys (2,000 lines on the stdlib).
    where, symbol = f"{place(v, cells)}:{v.column}", one_line(v.symbol)
    if v.rule not in _METRIC_OF:  # no threshold rule (QG010 compares with the merge-base): its message
        return f"{where}: {code}{kind} {symbol} {one_line(v.message)}{note}"
    metric, comparison = _METRIC_OF[v.rule]
    return f"{where}: {code}{kind} {symbol} {metric} {value} {comparison} {threshold}{note}"


# QG008 has no threshold to compare with: its message names the cycle (issue 15).
_METRIC_OF = {rule.code: (rule.metric.value, rule.symbol) for rule in RULES if not rule.needs_graph}


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


def _percent(fraction: float | None) -> str:
    return "no line listed" if fraction is None else f"{format_number(100 * fraction)}%"


def _coverage_notes(result: GateResult) -> dict[tuple[str, str, str], str]:
    """What a QG005 line adds (issue 14): the function's line coverage and complexity."""
    if not result.coverage:
        return {}
    found = {(c.path, c.symbol): c for c in result.coverage}
    return {(v.rule, v.path, v.symbol): f" (line coverage {_percent(c.coverage)}, cyclomatic "
            f"complexity {c.cyclomatic_complexity})"
            for v in result.violations if v.rule in COVERAGE_RULES
            and (c := found.get((v.path, v.symbol))) is not None}  # fmt: skip


def _coverage_lines(result: GateResult) -> list[str]:
    """One line on the coverage file's reach and the riskiest function (issue 14)."""
    scored = [c for c in result.coverage if c.crap is not None]
    if not scored:
        return []
    files = len({c.path for c in result.coverage})
    worst = max(scored, key=lambda c: (c.crap, -c.line))
    return [f"coverage: {len(scored)} function{'s' * (len(scored) != 1)} in {files} "
            f"file{'s' * (files != 1)} matched; worst CRAP score {format_number(worst.crap or 0)} "
            f"({one_line(worst.path)}:{worst.line} {one_line(worst.symbol)}, line coverage "
            f"{_percent(worst.coverage)})"]  # fmt: skip


def _set_aside_lines(result: GateResult, color: bool, cells: Cells) -> list[tuple[str, str]]:
    """Offenders --diff does not gate: outside the change, or failing at the base and no worse."""
    return [(v.path, _violation_line(v, color, cells, info=kind))
            for kind, found in (("info", result.informational), ("preexisting", result.preexisting))
            for v in found]  # fmt: skip


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """One block per file with problems, then the summary; -q keeps only the summary, -qq
    prints nothing, and --statistics counts the violations per rule instead (issue 16)."""
    view = context.view
    if view.quiet > 1:
        return
    summary = summary_line(result, context.color) + "\n"
    if view.quiet:
        stream.write(summary)
    elif view.statistics:
        stream.write("".join(line + "\n" for line in statistics_lines(result)) + summary)
    else:
        stream.write(_report(result, context) + summary)


def statistics_lines(result: GateResult) -> list[str]:
    """``count  code  metric`` per rule, the most frequent first, like ruff's --statistics."""
    counts = Counter((v.rule, v.metric.value) for v in result.violations)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [f"{n:>5}  {rule}  {metric}" for (rule, metric), n in ordered]


def _report(result: GateResult, context: ReportContext) -> str:
    """The blocks per file, the fixed baseline entries and the coverage line."""
    advice = _suggestion_lines(result) if context.view.advice else {}
    notes = _coverage_notes(result)
    cells = notebook_cells(result.files)
    lines = [(v.path, line) for v in result.violations
             for line in (_violation_line(v, context.color, cells) + notes.get((v.rule, v.path, v.symbol), ""),
                          *advice.get((v.path, v.rule, v.line, v.symbol), ()))]  # fmt: skip
    lines += _set_aside_lines(result, context.color, cells)
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
    out.extend(line + "\n" for line in _coverage_lines(result))
    return "".join(out)


def summary_line(result: GateResult, color: bool = False) -> str:
    """``PASSED``/``FAILED`` with the counts behind the verdict."""
    s = result.summary
    parts = ", ".join(f"{n} {metric}" for metric, n in s.by_metric.items() if n)
    detail = f" ({parts})" if parts else ""
    verdict = _paint("PASSED", _GREEN, color) if result.passed else _paint("FAILED", _RED, color)
    warnings = f", {s.warnings} warning{'s' * (s.warnings != 1)}" if s.warnings else ""
    # Offenders that do not fail are counted too, so none is silently gone (issue 4).
    counts = ((s.baselined, "baselined"), (s.suppressed, "suppressed"), (s.fixed, "fixed"),
              (s.informational, "not changed (info)"), (s.preexisting, "pre-existing, no worse"))  # fmt: skip
    set_aside = "".join(f", {n} {label}" for n, label in counts if n)
    return (
        f"{_paint('qualitygate', _BOLD, color)} {verdict}: {s.files} file{'s' * (s.files != 1)}, "
        f"{s.functions} function{'s' * (s.functions != 1)}, {s.violations} violation"
        f"{'s' * (s.violations != 1)}{detail}{warnings}{set_aside}, "
        f"{s.errors} error{'s' * (s.errors != 1)}"
    )
