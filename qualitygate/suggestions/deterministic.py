"""The ``suggest`` stage that needs no AI (issue 13, item 1): each function over a complexity
threshold gets the extraction its advice names, made, re-measured and statically checked; the
project's tests, when it has them, run once per file on a patched copy."""
from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from qualitygate.metrics.analyze import MetricOptions, measure_source
from qualitygate.models import FileMetrics, GateResult, Metric, Violation, format_number
from qualitygate.suggestions.evidence import Evidence, Rejected
from qualitygate.suggestions.extract import Extraction, extract
from qualitygate.suggestions.flow import Unmovable
from qualitygate.suggestions.static import check_grammar, check_pyflakes, lowest_minor

if TYPE_CHECKING:
    from qualitygate.config import Settings

# Extraction lowers cognitive and cyclomatic complexity; the cognitive one first when both fail,
# as the advice reads it (one extraction per function and run).
_RULE_ORDER = {Metric.COGNITIVE: 0, Metric.CYCLOMATIC: 1}
LIMIT = 50  # functions per run, the worst first: each one re-measures its whole file


class Offered(NamedTuple):
    """One extraction, with what was checked about it."""

    path: str
    qualname: str
    symbol: str  # the function's id, as violations name it
    rule: str
    line: int  # the def line in the original file
    extraction: Extraction
    evidence: Evidence

    def describe(self, words: str) -> str:
        """The log line: what moved, what the engine measured, and the evidence in words."""
        e = self.extraction
        gives = f" -> {', '.join(e.flow.returns)}" if e.flow.returns else ""
        left, moved = e.measured
        return (f"{self.path}:{self.line} `{self.qualname}`: extract the block at line {e.block_line} "
                f"into `{e.helper}({', '.join(e.flow.params)})`{gives}; {self.rule} measured "
                f"{format_number(left)} here and {moved} in the helper, as the advice predicted; "
                f"{words}")  # fmt: skip


class FileExtractions(NamedTuple):
    """Every extraction of one file, made one after another on the same text."""

    path: str
    original: str
    source: str
    offered: tuple[Offered, ...]


class Outcome(NamedTuple):
    """What the stage did: the files it changed, and why the other offenders were skipped."""

    files: list[FileExtractions]
    skipped: Counter[str]


def _targets(violations: Sequence[Violation]) -> list[Violation]:
    """One violation per function, cognitive first, worst first, at most LIMIT."""
    chosen: dict[tuple[str, str], Violation] = {}
    ordered = sorted((v for v in violations if v.metric in _RULE_ORDER and v.symbol != v.path),
                     key=lambda v: (_RULE_ORDER[v.metric], -v.value / (v.threshold or 1)))  # fmt: skip
    for v in ordered:
        chosen.setdefault((v.path, v.symbol), v)
    return list(chosen.values())[:LIMIT]


def _again(source: str, v: Violation, options: MetricOptions) -> tuple[FileMetrics, Violation] | None:
    """The file measured as it stands now, and the violation moved to where the function is now."""
    file = measure_source(source, v.path, options)
    func = next((f for f in file.functions if f.id == v.symbol), None)
    if func is None:
        return None
    return file, v._replace(line=func.lineno, end_line=func.end_lineno, value=getattr(func, v.metric.value))


def _checked(before: str, after: str, path: str) -> None:
    """The static checks an AI rewrite gets too: no new pyflakes finding, the project's grammar."""
    check_pyflakes(ast.parse(before), ast.parse(after), path)
    check_grammar(before, after, lowest_minor(path))


def _file(path: str, text: str, violations: list[Violation], options: MetricOptions,
          skipped: Counter[str]) -> FileExtractions | None:  # fmt: skip
    current, offered = text, []
    # Bottom up: a helper goes right after its function, so the lines above stay where they were
    # and every line the log names is a line of the original file.
    for v in sorted(violations, key=lambda v: -v.line):
        try:
            measured = _again(current, v, options)
            if measured is None:
                raise Unmovable("the function is gone after an earlier extraction")
            file, now = measured
            func = next(f for f in file.functions if f.id == v.symbol)
            done = extract(current, path, func, now, options)
            _checked(current, done.source, path)
        except (Unmovable, Rejected) as exc:
            skipped[str(exc)] += 1
            continue
        except (SyntaxError, ValueError, RecursionError) as exc:  # the file changed since measuring
            skipped[f"cannot be read as it was measured ({type(exc).__name__})"] += 1
            continue
        current = done.source
        offered.append(Offered(path, func.qualname, v.symbol, v.rule, v.line, done, Evidence()))
    return FileExtractions(path, text, current, tuple(offered[::-1])) if offered else None


def extractions(result: GateResult, text: Callable[[str], str | None], options: MetricOptions) -> Outcome:
    """Every file's extractions; ``text`` reads a file as a patch may rewrite it (None: it cannot)."""
    by_path: dict[str, list[Violation]] = {}
    for v in _targets(result.violations):
        by_path.setdefault(v.path, []).append(v)
    files, skipped = [], Counter[str]()
    for path in sorted(by_path):
        source = text(path)
        if source is None:
            skipped["the file cannot be rewritten exactly (not plain UTF-8, or unreadable)"] += len(by_path[path])
            continue
        done = _file(path, source, by_path[path], options, skipped)
        if done:
            files.append(done)
    return Outcome(files, skipped)


def with_tests(outcome: Outcome, settings: Settings, log: Callable[[str], None]) -> Outcome:
    """The project's tests once per changed file, on a patched copy, and the recorded calls to each
    extracted function replayed; a file whose extractions make tests fail that pass without them,
    or change what a recorded call gives, is dropped (never offered as a change)."""
    from qualitygate.suggestions.tests_run import (
        check_change,
        evidence,
        plan,
        refusal,
        relative_to_root,
    )

    how = plan(settings)
    if how is None:
        return outcome
    kept: list[FileExtractions] = []
    for item in outcome.files:
        relative = relative_to_root(item.path, settings.root)
        if relative is None:
            kept.append(item)
            continue
        names = [o.qualname for o in item.offered]
        checked = check_change(settings.root, how, relative, item.source, names)
        why = refusal(checked, names)
        if why:
            log(f"dropped the extractions of {item.path}: {why.replace('fail with it', 'fail with them')}")
            outcome.skipped[_skip_reason(why)] += len(item.offered)
            continue
        kept.append(item._replace(offered=tuple(
            o._replace(evidence=evidence(o.evidence, checked, settings.root, o.qualname, "extraction"))
            for o in item.offered
        )))  # fmt: skip
    return Outcome(kept, outcome.skipped)


def _skip_reason(why: str) -> str:
    if why.startswith("the project's tests"):
        return "the project's tests fail with it"
    return "recorded calls give another outcome with it"


def offered(outcome: Outcome) -> Iterator[Offered]:
    """Every extraction offered, file by file, in line order."""
    for item in outcome.files:
        yield from item.offered
