"""The pull-request comment (issue 14): what the change did to the code, for one sticky comment.

The verdict; the changed functions with before -> after, worst first; the ones that improved, so
a cleanup gets credit; the offenders that fail, with their advice; links to the lines. Under
GitHub's comment limit (65,536 characters), and readable at 300 changed functions: the first rows
of each table show, the rest sit in a collapsed ``<details>``. Names are escaped as in the job
summary (``outputs.markdown``): code spans fenced past any backtick run, one line each.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from qualitygate.gate.result import worst_first
from qualitygate.gate.rules import WORSE_RULE
from qualitygate.models import (
    Change,
    ChangeStatus,
    GateResult,
    Suggestion,
    Violation,
    format_number,
)
from qualitygate.outputs import ReportContext
from qualitygate.outputs.common import repo_path
from qualitygate.outputs.markdown import cell, code, link, plain
from qualitygate.paths import one_line

MARKER = "<!-- qualitygate:pr-comment -->"  # how the poster finds its own comment to update
LIMIT = 65_000  # characters; GitHub refuses a comment body over 65,536
SHOWN = 25  # rows of a table before the rest is folded away
COLUMNS = (("cyclomatic_complexity", "cyclomatic", True), ("cognitive_complexity", "cognitive", True),
           ("maintainability_index", "MI", False))  # (metric, heading, higher is worse)  # fmt: skip


def _value(value: float | None) -> str:
    return "—" if value is None else format_number(value)


def _cell_of(pair: tuple[float | None, float | None], higher_is_worse: bool) -> str:
    before, after = pair
    if before is None or after is None or before == after:
        return _value(after if after is not None else before)
    worse = (after > before) == higher_is_worse
    return f"{_value(before)} → {_value(after)} {'🔺' if worse else '🟢'}"


def worsening(change: Change) -> float:
    """How much worse a change made its function: the growth of cyclomatic plus cognitive
    complexity (a new function counts in full, a removed one as its loss)."""
    metrics = dict(change.metrics)
    total = 0.0
    for name in ("cyclomatic_complexity", "cognitive_complexity"):
        before, after = metrics.get(name, (None, None))
        total += (after or 0) - (before or 0)
    return total


def _row(change: Change, context: ReportContext) -> str:
    metrics = dict(change.metrics)
    mark = {ChangeStatus.ADDED: "🆕", ChangeStatus.REMOVED: "➖"}.get(change.status, "")
    cells = [_cell_of(metrics.get(name, (None, None)), worse) for name, _, worse in COLUMNS]
    where = _code_of(change, context) if change.status is ChangeStatus.REMOVED else link(change.path, change.line, context)
    return f"| {mark} | {cell(code(change.symbol))} | {cell(where)} | " + " | ".join(cells) + " |"


def _code_of(change: Change, context: ReportContext) -> str:
    """Where a removed function was, from the repository root like the links (issue 16)."""
    return code(f"{repo_path(change.path, context)}:{change.line}")


def _table(title: str, changes: Sequence[Change], context: ReportContext) -> list[str]:
    if not changes:
        return []
    header = ["| | function | where | " + " | ".join(h for _, h, _ in COLUMNS) + " |",
              "|---|---|---|" + "--:|" * len(COLUMNS)]  # fmt: skip
    rows = [_row(c, context) for c in changes]
    lines = [f"### {title}", "", *header, *rows[:SHOWN]]
    if len(rows) > SHOWN:
        lines += ["", f"<details><summary>{len(rows) - SHOWN} more</summary>", "", *header, *rows[SHOWN:],
                  "", "</details>"]  # fmt: skip
    return [*lines, ""]


def _functions(result: GateResult) -> list[Change]:
    return [c for c in result.changes if c.symbol != c.path]


def _failing(result: GateResult, context: ReportContext) -> list[str]:
    if not result.failing:
        return []
    advice: dict[tuple[str, int, str], list[Suggestion]] = {}
    for s in result.suggestions:
        advice.setdefault((s.path, s.line, s.rule), []).append(s)
    added = {(c.path, c.symbol) for c in result.changes if c.status is ChangeStatus.ADDED}
    lines = ["### Failing the gate", ""]
    for v in worst_first(result.failing):
        lines.append(f"- {link(v.path, v.line, context)} {v.rule} {_symbol(v)}: {plain(v.message)}"
                     f"{_was(v, (v.path, v.symbol) in added)}")  # fmt: skip
        # The advice's own code spans (names from the code, which hold no backtick) are kept.
        lines += [f"  - {one_line(s.text)}" for s in advice.get((v.path, v.line, v.rule), [])[:1]]
    return [*lines, ""]


def _symbol(v: Violation) -> str:
    return "(file)" if v.symbol == v.path else code(v.symbol)


def _was(v: Violation, added: bool) -> str:
    """Where the offender comes from; nothing when unknown (no --diff, or no base measured)."""
    if added:
        return " (new)"
    if v.base_value is None or v.rule == WORSE_RULE:  # the message of a worse finding says it
        return ""
    return f" (was {format_number(v.base_value)} at the merge-base)"


def _counts(functions: Sequence[Change]) -> dict[str, int]:
    modified = [worsening(c) for c in functions if c.status is ChangeStatus.MODIFIED]
    statuses = [c.status for c in functions]
    return {
        "worse": sum(w > 0 for w in modified),
        "better": sum(w < 0 for w in modified),
        "as complex as before": sum(w == 0 for w in modified),
        "new": statuses.count(ChangeStatus.ADDED),
        "removed": statuses.count(ChangeStatus.REMOVED),
    }


def _head(result: GateResult) -> list[str]:
    verdict = "✅ qualitygate: this change passes" if result.passed else "❌ qualitygate: this change fails the gate"
    functions = _functions(result)
    counts = _counts(functions)
    s = result.summary
    lines = [MARKER, f"## {verdict}", ""]
    if result.changes:
        lines.append(f"**{len(functions)} functions changed**: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + ".")
    else:
        lines.append("No function or file changed against a merge-base (deltas need `qualitygate check --diff BASE`).")
    lines += ["", f"{s.violations} failing, {s.preexisting} failing before and no worse, "
              f"{s.errors} not analysed.", ""]  # fmt: skip
    return lines


def comment(result: GateResult, context: ReportContext, limit: int = LIMIT) -> str:
    """The whole comment, cut to ``limit`` characters with a note when it is longer."""
    functions = _functions(result)
    worse = sorted((c for c in functions if worsening(c) > 0 or c.status is ChangeStatus.ADDED),
                   key=lambda c: (-worsening(c), c.path, c.line))  # fmt: skip
    better = sorted((c for c in functions if worsening(c) < 0 and c.status is ChangeStatus.MODIFIED),
                    key=lambda c: (worsening(c), c.path, c.line))  # fmt: skip
    lines = [*_head(result), *_failing(result, context), *_table("Changed functions, worst first", worse, context),
             *_table("Improved", better, context)]  # fmt: skip
    text = "\n".join(lines).rstrip("\n") + "\n"
    if len(text) <= limit:
        return text
    note = "\n\n_Cut to fit a comment: the `json` and `sarif` formats list everything._\n"
    closing = "\n\n</details>"
    cut = text[: limit - len(note) - len(closing)]
    cut = cut[: cut.rfind("\n")]
    if cut.count("<details>") > cut.count("</details>"):  # never leave the note folded away
        cut += closing
    return cut + note


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Write the comment's Markdown."""
    stream.write(comment(result, context))
