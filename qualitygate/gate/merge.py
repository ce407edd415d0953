"""Combine shard reports (JSON v1) into the verdict one run over every file would have given."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from qualitygate.config import Settings
from qualitygate.errors import UsageError
from qualitygate.gate.result import build_result
from qualitygate.models import AnalysisError, Change, FileMetrics, GateResult, Violation
from qualitygate.paths import read_regular
from qualitygate.serialize import from_dict

T = TypeVar("T")


def load_report(path: Path) -> GateResult:
    """One ``check --format json`` report; anything else is a usage error naming the file."""
    try:
        data = json.loads(read_regular(path))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, absurd nesting
        raise UsageError(f"{path}: not a JSON report: {exc}") from None
    try:
        result = from_dict(data)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError) as exc:
        raise UsageError(f"{path}: not a qualitygate JSON v1 report ({type(exc).__name__}: {exc})") from None
    problem = _problem(result)
    if problem:
        raise UsageError(f"{path}: not a qualitygate JSON v1 report ({problem})")
    return result


LINES = range(0, 2**31)  # a line number a report can hold


def _problem(result: GateResult) -> str:
    """What in a decoded report has a type the merge cannot sort or gate on (a hand-edited
    shard: issue 12); "" when nothing."""
    lists: list[tuple[str, Sequence[Any], Callable[[Any], bool]]] = [
        (name, getattr(result, name), _violation_ok) for name in VIOLATION_LISTS
    ]
    for name, items, ok in [*lists, ("errors", result.errors, _error_ok)]:
        bad = next((index for index, item in enumerate(items) if not ok(item)), None)
        if bad is not None:
            return f"{name}[{bad}]: a path, line, value or message of the wrong type"
    if not _all_str(tuple(f.path for f in result.files) + tuple(s.path for s in result.suggestions)):
        return "a file or suggestion path is not a string"
    return _changes_problem(result.changes)


def _changes_problem(changes: Sequence[Change]) -> str:
    bad = next((index for index, change in enumerate(changes) if not _change_ok(change)), None)
    return "" if bad is None else f"changes[{bad}]: a path, symbol, line or metric of the wrong type"


def _change_ok(change: Change) -> bool:
    values = [value for _, pair in change.metrics for value in pair if value is not None]
    pairs_ok = all(type(pair) is tuple and len(pair) == 2 for _, pair in change.metrics)
    return (_all_str((change.path, change.symbol, *(name for name, _ in change.metrics))) and pairs_ok
            and _all_lines(change.line, change.end_line) and _finite(*values))  # fmt: skip


VIOLATION_LISTS = ("violations", "suppressed", "baselined", "informational", "preexisting")


def _violation_ok(v: Violation) -> bool:
    texts = (v.path, v.rule, v.symbol, v.message)
    recorded = [value for value in (v.baseline_value, v.base_value) if value is not None]
    return _all_str(texts) and _all_lines(v.line, v.end_line, v.column) and _finite(v.value, v.threshold, *recorded)


def _error_ok(error: AnalysisError) -> bool:
    return _all_str((error.path, error.message)) and (error.line is None or _all_lines(error.line))


def _all_str(values: tuple[object, ...]) -> bool:
    return all(type(value) is str for value in values)


def _all_lines(*values: object) -> bool:
    return all(type(value) is int and value in LINES for value in values)


def _finite(*values: object) -> bool:
    return all(isinstance(value, (int, float)) and type(value) is not bool and abs(value) < 1e308 for value in values)


def _unique_files(reports: Sequence[tuple[Path, GateResult]]) -> list[FileMetrics]:
    """Every file once; the same file with other metrics means reports of different runs."""
    seen: dict[str, tuple[Path, FileMetrics]] = {}
    for source, result in reports:
        for file in result.files:
            earlier = seen.setdefault(file.path, (source, file))
            if earlier[1] != file:
                raise UsageError(
                    f"{earlier[0]} and {source} both measured {file.path} with different results; "
                    "merge the shards of one run (same commit, same working folder)"
                )
    return [file for _, file in seen.values()]


def merge_results(reports: Sequence[tuple[Path, GateResult]]) -> GateResult:
    """Concatenate every list of the results (duplicates once) and sort as one run does."""
    files = _unique_files(reports)
    violations = _once(v for _, result in reports for v in result.violations)
    errors = _once(e for _, result in reports for e in result.errors)
    merged = build_result(files, violations, errors)
    rest: dict[str, Any] = {
        name: _by_path(_once(item for _, result in reports for item in getattr(result, name)))
        for name in (f.name for f in dataclasses.fields(GateResult))
        if name not in ("files", "violations", "errors", "coupling")  # no shard has the whole graph
    }
    return dataclasses.replace(merged, **rest)


def _by_path(items: list[T]) -> tuple[T, ...]:
    """Every other list (suppressed, suggestions...) is ordered by path first in a single run, and
    a path's items all come from the one shard that owns it: a stable sort by path restores the
    single run's order without knowing each list's own sort key."""
    return tuple(sorted(items, key=lambda item: str(getattr(item, "path", ""))))


def _once(items: Iterable[T]) -> list[T]:
    """Each item once, in first-seen order (the same report given twice is not double-counted)."""
    return list(dict.fromkeys(items))


def merge_files(paths: Sequence[Path]) -> GateResult:
    """Load every report and merge them."""
    if not paths:
        raise UsageError("merge: give at least one JSON report")
    return merge_results([(path, load_report(path)) for path in paths])


def merged_cycles(settings: Settings, merged: GateResult) -> GateResult:
    """The import graph and QG008 from every shard's files (issue 15): a shard holds only a part of
    the graph, so ``check --shard`` leaves both out and the merge gives what one run would, with
    the inline suppressions and the baseline file of the working folder applied to the cycles."""
    from qualitygate.gate.coupling import CYCLE_RULE, coupling_stage
    from qualitygate.gate.suppressions import apply as apply_suppressions
    from qualitygate.gate.thresholds import PathThresholds

    thresholds = PathThresholds(settings.thresholds, settings.overrides, settings.root)
    graph, found = coupling_stage(settings, merged.files, thresholds.for_path)
    part = _baselined(settings, apply_suppressions(build_result(merged.files, found, ()), settings.honor_noqa))
    lists: dict[str, Any] = {name: _by_path([*(v for v in getattr(merged, name) if v.rule != CYCLE_RULE),
                                             *getattr(part, name)]) for name in VIOLATION_LISTS}  # fmt: skip
    lists["violations"] = build_result((), lists["violations"], ()).violations
    fixed = [f for f in merged.fixed if f.rule != CYCLE_RULE] + [f for f in part.fixed if f.rule == CYCLE_RULE]
    lists["fixed"] = tuple(sorted(fixed, key=lambda f: (f.path, f.symbol, f.rule)))
    return dataclasses.replace(merged, coupling=graph, **lists)


def _baselined(settings: Settings, part: GateResult) -> GateResult:
    """``part`` with the baseline file applied, as ``check`` applies it when the file is there."""
    from qualitygate.gate.baseline import apply, baseline_path, load

    target = baseline_path(settings.root, settings.baseline)
    recorded = load(target) if target.is_file() else None
    return part if recorded is None else apply(part, recorded, settings.root)
