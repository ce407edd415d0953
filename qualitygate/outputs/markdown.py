"""A Markdown job summary: the verdict, counts per metric and the worst offenders, under 1 MiB.

Names are code spans whose backtick fence is longer than any backtick run inside (CommonMark), so
nothing in a name is markup; messages are text with every character that could start markup
backslash-escaped; a table cell escapes ``|``. Control characters never reach the Markdown: they
are spelled ``\\x0d`` by ``paths.one_line`` (a lone CR would start a new line).
"""
from __future__ import annotations

import re
from typing import TextIO
from urllib.parse import quote

from qualitygate.gate.result import worst_first
from qualitygate.metrics.notebook import CellLine, Cells, cell_line, notebook_cells
from qualitygate.models import (
    GateResult,
    Metric,
    Severity,
    Suggestion,
    SuggestionKind,
    Violation,
    format_number,
)
from qualitygate.outputs import ReportContext
from qualitygate.outputs.common import repo_path, rule_for
from qualitygate.paths import one_line

# GitHub refuses a step summary over 1 MiB ("Adding a job summary"); stay under it with room.
MAX_BYTES = 1024 * 1024 - 4096
MAX_ROWS = 100
_MARK = {Severity.ERROR: "❌", Severity.WARNING: "⚠️"}


_BACKTICKS = re.compile("`+")
# Inline markup a message could start (HTML, entities, links, images, emphasis, code, GFM
# strikethrough); a message never starts a line, so block markup needs nothing. ``|`` is _cell's.
_MARKUP = re.compile(r"([\\`*_\[\]<>&!~])")


def cell(text: str) -> str:
    """Markdown safe inside a GFM table cell: a pipe would start a new cell, even in a code span
    (GitHub and markdown-it take ``\\|`` out before reading the cell)."""
    return text.replace("|", "\\|")


def code(text: str) -> str:
    """A code span showing ``text`` as it is: fenced by more backticks than its longest run, and
    padded with a space when it starts or ends with a backtick or a space (one is stripped from
    each end of a span that is not all spaces)."""
    text = one_line(text)
    fence = "`" * (max(map(len, _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text.strip(" ") and (text[0] in "` " or text[-1] in "` ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def plain(text: str) -> str:
    """A message as plain text: on one line, no character of it read as markup."""
    return _MARKUP.sub(r"\\\1", one_line(text))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def link(path: str, line: int, context: ReportContext, cell: CellLine | None = None) -> str:
    # The job summary names files from the repository root, as the blob URL does (issue 16):
    # ``source_url`` points at that root (report_context strips nothing twice), so the path is
    # joined to it once.
    path = repo_path(path, context)
    text = code(f"{path}:cell {cell.cell}:line {cell.line}" if cell else f"{path}:{line}")
    if path.startswith("/"):  # outside the working directory: no stable link
        return text
    # A notebook: the line of its JSON text, which GitHub shows only as plain text (issue 15).
    anchor = f"?plain=1#L{cell.file_line}" if cell else f"#L{line}"
    return f"[{text}]({context.source_url}{quote(path, safe='/')}{anchor})"


def _located(path: str, line: int, context: ReportContext, cells: Cells) -> str:
    """``link``, by cell in a notebook (issue 15)."""
    return link(path, line, context, cell_line(cells, path, line))


def _head(result: GateResult) -> list[str]:
    s = result.summary
    verdict = "✅ qualitygate PASSED" if result.passed else "❌ qualitygate FAILED"
    counts = (
        f"{_plural(s.files, 'file')}, {_plural(s.functions, 'function')}: "
        f"**{_plural(s.violations, 'violation')}**, {_plural(s.warnings, 'warning')}, "
        f"{_plural(s.errors, 'file')} not analysed."
    )
    # Averages depend on which files were passed, so they are never gated (issue 3, pre-commit).
    averages = (
        "Averages (informational, not gated): maintainability index "
        f"{format_number(s.average_maintainability_index)} per file, cyclomatic complexity "
        f"{format_number(s.average_cyclomatic_complexity)} per function."
    )
    return [f"## {verdict}", "", counts, "", *_metric_table(result), "", averages, ""]


def _metric_table(result: GateResult) -> list[str]:
    rows = ["| metric | violations | warnings |", "|---|--:|--:|"]
    violations = result.violations
    # The summary's metrics: crap_score only in a run with a coverage file (issue 14).
    for metric in map(Metric, result.summary.by_metric):
        errors = sum(v.metric is metric and v.severity is Severity.ERROR for v in violations)
        warnings = sum(v.metric is metric and v.severity is Severity.WARNING for v in violations)
        rows.append(f"| {metric.value} | {errors} | {warnings} |")
    return rows


def _offender_row(v: Violation, context: ReportContext, cells: Cells) -> str:
    rule = rule_for(v.rule)
    name = f"{v.rule} {rule.name}" if rule else v.rule
    symbol = "(file)" if v.symbol == v.path else cell(code(v.symbol))
    return (
        f"| {_MARK[v.severity]} | {name} | {cell(_located(v.path, v.line, context, cells))} | {symbol} | "
        f"{format_number(v.value)} | {v.comparison} {format_number(v.threshold)} | "
        f"{v.excess:.0%} |"
    )


Section = tuple[list[str], list[str]]  # (heading and table header, table rows)


def _offenders(result: GateResult, context: ReportContext) -> Section:
    if not result.violations:
        return ["No violations."], []
    header = ["### Worst offenders", "",
              "| | rule | location | symbol | value | threshold | past it |",
              "|---|---|---|---|--:|--:|--:|"]  # fmt: skip
    cells = notebook_cells(result.files)
    return header, [_offender_row(v, context, cells) for v in worst_first(result.violations)]


def _errors(result: GateResult, context: ReportContext) -> Section:
    if not result.errors:
        return [], []
    rows = []
    for e in result.errors:
        path = repo_path(e.path, context)
        where = f"{path}:{e.line}" if e.line else path
        rows.append(f"| {cell(code(where))} | {cell(plain(e.message))} |")
    return ["", "### Files not analysed", "", "| location | reason |", "|---|---|"], rows


def _suggestion_row(s: Suggestion, context: ReportContext, cells: Cells) -> str:
    symbol = f" {code(s.qualname)}" if s.qualname else ""
    # The advice's own code spans (names from the code, which hold no backtick) are kept.
    row = f"- {_located(s.path, s.line, context, cells)} {s.rule}{symbol}: {one_line(s.text)}"
    if s.kind is not SuggestionKind.AI or not s.patch:
        return row
    # Longer than any backtick run in the patch, so no line of it can close the block.
    fence = "`" * max(3, max(map(len, _BACKTICKS.findall(s.patch)), default=0) + 1)
    patch = s.patch if s.patch.endswith("\n") else s.patch + "\n"
    # Issue 13: the summary says whether the behaviour was checked, not only the row's text.
    summary = "Verified patch" if s.verified else "Patch (unverified: behaviour unchecked)"
    return (f"{row}\n\n<details><summary>{summary}</summary>\n\n{fence}diff\n"
            f"{patch}{fence}\n\n</details>\n")  # fmt: skip


def _suggestions(result: GateResult, context: ReportContext) -> Section:
    """Issue 6: the advice for each violation, and each AI rewrite with its patch and evidence."""
    if not result.suggestions:
        return [], []
    cells = notebook_cells(result.files)
    rows = [_suggestion_row(s, context, cells) for s in result.suggestions]
    return ["", "### Suggestions", ""], rows


def _size(lines: list[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def _fit(rows: list[str], budget: int, max_rows: int) -> list[str]:
    """The leading rows that fit in ``budget`` bytes, at most ``max_rows`` of them."""
    kept: list[str] = []
    for row in rows[:max_rows]:
        budget -= _size([row])
        if budget < 0:
            break
        kept.append(row)
    return kept


def _truncation_note(left_out: int, max_rows: int) -> str:
    return (
        f"_{left_out} more not shown: a job summary stays under 1 MiB and {max_rows} rows per "
        "table. The `json`, `sarif` and `junit` formats list every one._"
    )


def summary(
    result: GateResult, context: ReportContext, limit: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> str:
    """The whole summary; table rows past ``max_rows`` or ``limit`` bytes become a note."""
    lines = _head(result)
    budget = limit - _size(lines) - 1024  # room for the notes
    for header, rows in (_offenders(result, context), _errors(result, context), _suggestions(result, context)):
        kept = _fit(rows, budget - _size(header), max_rows)
        lines += header + kept
        budget -= _size(header + kept)
        if len(kept) < len(rows):
            lines += ["", _truncation_note(len(rows) - len(kept), max_rows)]
    return "\n".join(lines) + "\n"


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Write the job summary."""
    stream.write(summary(result, context))
