"""The report's data: one JSON-ready dict that the HTML page draws and metrics_data.json holds."""
from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from qualitygate.gate.rules import (
    DEFAULT_COGNITIVE_COMPLEXITY,
    DEFAULT_COMPLEXITY,
    DEFAULT_MAINTAINABILITY,
    Thresholds,
)
from qualitygate.models import (
    FileMetrics,
    FunctionCoverage,
    FunctionMetrics,
    GateResult,
    Suggestion,
    Violation,
)
from qualitygate.serialize import coupling_to_dict, error_to_dict, violation_to_dict
from qualitygate.store.history_query import HistoryView, RunSummary

DATA_VERSION = 1
MAX_OFFENDERS = 50
MAX_RECOMMENDATIONS = 20
OFFENDER_FLOOR = 0.5  # a function's worst complexity / its threshold
EXCELLENT_MI = 85.0  # with radon's 0-100 scale; the configured threshold marks "poor"

Series = Mapping[str, Sequence[tuple[int, float]]]
# The run fields that count things (violations, files, functions, source lines), not averages:
# their charts start at 0 (issue 16).
COUNTS = frozenset(name for name, kind in typing.get_type_hints(RunSummary).items() if kind is int) - {"id"}


def mi_status(value: float, threshold: float | None) -> str:
    """The status word for a maintainability index: poor below the threshold, else good or excellent."""
    floor = DEFAULT_MAINTAINABILITY if threshold is None else threshold
    if value < floor:
        return "poor"
    return "excellent" if value >= max(EXCELLENT_MI, floor) else "good"


def _score(func: FunctionMetrics, thresholds: Thresholds) -> float:
    """How far past its limits a function is: 1.0 means exactly at the worst threshold."""
    ratios = [
        func.cyclomatic_complexity / max(thresholds.complexity_threshold or DEFAULT_COMPLEXITY, 1),
        func.cognitive_complexity / max(thresholds.cognitive_complexity_threshold or DEFAULT_COGNITIVE_COMPLEXITY, 1),
    ]
    return round(max(ratios), 3)


def _function_row(file: FileMetrics, func: FunctionMetrics, rules: Sequence[str], score: float) -> dict[str, Any]:
    return {
        "path": file.path,
        "qualname": func.qualname,
        "line": func.lineno,
        "end_line": func.end_lineno,
        "cyclomatic_complexity": func.cyclomatic_complexity,
        "cognitive_complexity": func.cognitive_complexity,
        "maintainability_index": round(func.maintainability_index, 2),
        "length": func.length,
        "parameters": func.parameters,
        "max_nesting": func.max_nesting,
        "rules": list(rules),
        "score": score,
    }


def _rules_by_symbol(violations: Sequence[Violation]) -> dict[tuple[str, str, int], list[str]]:
    found: dict[tuple[str, str, int], list[str]] = {}
    for v in violations:
        found.setdefault((v.path, v.symbol, v.line), []).append(v.rule)
    return found


def offenders(result: GateResult, thresholds: Thresholds, limit: int = MAX_OFFENDERS) -> list[dict[str, Any]]:
    """The functions furthest past their thresholds, worst first (ties by path and line)."""
    rules = _rules_by_symbol(result.violations)
    rows = [
        _function_row(file, func, rules.get((file.path, func.id, func.lineno), []), _score(func, thresholds))
        for file in result.files
        for func in file.functions
    ]
    # Functions at under half of every threshold are not offenders, however the list is sorted.
    rows = [r for r in rows if r["rules"] or r["score"] >= OFFENDER_FLOOR]
    rows.sort(key=lambda r: (-r["score"], -r["cognitive_complexity"], r["path"], r["line"]))
    return rows[:limit]


def _file_entry(
    file: FileMetrics, violations: Sequence[Violation], threshold: float | None, series: Series
) -> dict[str, Any]:
    return {
        "path": file.path,
        "maintainability_index": round(file.maintainability_index, 2),
        "status": mi_status(file.maintainability_index, threshold),
        "cyclomatic_complexity": file.cyclomatic_complexity,
        "sloc": file.raw.sloc,
        "loc": file.raw.loc,
        "halstead_volume": round(file.halstead.volume, 2),
        "dependencies": file.dependencies._asdict(),
        "functions": [_function_row(file, f, [], 0.0) for f in file.functions],
        "classes": [c._asdict() for c in file.classes],  # issue 15: docs/metrics.md, "Classes"
        "violations": [violation_to_dict(v) for v in violations],
        "maintainability_trend": [round(mi, 2) for _, mi in series.get(file.path, ())],
    }


def _add_coverage(records: Sequence[FunctionCoverage], rows: Sequence[dict[str, Any]]) -> None:
    """Each function row's line coverage (0 to 1) and CRAP score; None where the coverage file
    gives none. A function is one per line of its file, so (path, line) names it."""
    found = {(c.path, c.line): c for c in records}
    for row in rows:
        record = found.get((row["path"], row["line"]))
        row["coverage"] = None if record is None else record.coverage
        row["crap"] = None if record is None or record.crap is None else round(record.crap, 2)


def _key(path: str, line: int, symbol: str | None) -> tuple[str, int, str]:
    return (path, line, symbol or path)  # file rules name the file as their symbol


def recommendations(
    result: GateResult, limit: int = MAX_RECOMMENDATIONS, hot: Mapping[tuple[str, int, str], int] | None = None
) -> list[dict[str, Any]]:
    """The advisor's suggestions (issue 6), one entry per function or file, furthest past first;
    the hotspots (``hot``: their scores by path, line and function id) first of all (issue 14).

    The advice itself comes from ``result.suggestions`` (which block to extract, which
    conditions to name), so ``check`` and the report never disagree; this only groups and ranks.
    """
    hot = hot or {}
    excess: dict[tuple[str, int, str], float] = {}
    for v in result.violations:
        key = _key(v.path, v.line, v.symbol)
        excess[key] = max(excess.get(key, 0.0), v.excess)
    groups: dict[tuple[str, int, str], list[Suggestion]] = {}
    for s in result.suggestions:
        groups.setdefault(_key(s.path, s.line, s.qualname), []).append(s)
    # Locations, not violations (so not gate.result.worst_first): by their largest excess,
    # then by path, line and symbol (a location without a violation counts 0).
    ranked = sorted(groups.items(), key=lambda item: (-hot.get(item[0], 0), -excess.get(item[0], 0.0), item[0]))
    return [
        {
            "path": path,
            "line": line,
            "symbol": symbol,
            "rules": [s.rule for s in advice],
            "advice": [s.text for s in advice],
        }
        for (path, line, symbol), advice in ranked[:limit]
    ]


def _hot(hotspots: Mapping[str, Any] | None) -> dict[tuple[str, int, str], int]:
    rows = hotspots["hotspots"] if hotspots else []
    return {(row["path"], row["line"], row["function"]): row["score"] for row in rows}


def _history_data(view: HistoryView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {
        "database": view.database,
        "days": view.days,
        "runs": [dataclasses.asdict(run) for run in view.runs],
        "trends": [
            {**dataclasses.asdict(t), "change": t.change, "direction": t.direction, "count": t.metric in COUNTS}
            for t in view.trends
        ],
        "worsened": [{**dataclasses.asdict(c), "worsening": c.worsening} for c in view.worsened],
    }


def _summary(result: GateResult) -> dict[str, Any]:
    """The JSON report's summary, plus the average cognitive complexity and the source lines."""
    functions = [f for file in result.files for f in file.functions]
    summary = dataclasses.asdict(result.summary)
    cognitive = sum(f.cognitive_complexity for f in functions) / len(functions) if functions else 0.0
    summary["average_cognitive_complexity"] = round(cognitive, 2)
    summary["sloc"] = sum(file.raw.sloc for file in result.files)
    return summary


def build(
    result: GateResult,
    thresholds: Thresholds,
    *,
    project: str,
    version: str,
    generated_at: str,
    history: HistoryView | None = None,
    series: Series | None = None,
    hotspots: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the report shows, as plain JSON types, in a fixed key order. ``hotspots`` is
    the ``hotspots --format json`` document (None outside a git work tree)."""
    by_file: dict[str, list[Violation]] = {}
    for v in result.violations:
        by_file.setdefault(v.path, []).append(v)
    threshold = thresholds.maintainability_threshold
    files = [_file_entry(f, by_file.get(f.path, []), threshold, series or {}) for f in result.files]
    worst = offenders(result, thresholds)
    if result.coverage:  # issue 14: only with a coverage file, so other reports stay as they were
        _add_coverage(result.coverage, [*worst, *(row for file in files for row in file["functions"])])
    return {
        "version": DATA_VERSION,
        "project": project,
        "tool_version": version,
        "generated_at": generated_at,
        "passed": result.passed,
        "thresholds": thresholds._asdict(),
        "summary": _summary(result),
        "history": _history_data(history),
        "offenders": worst,
        "hotspots": hotspots,
        "recommendations": recommendations(result, hot=_hot(hotspots)),
        "files": files,
        "errors": [error_to_dict(e) for e in result.errors],
        "coupling": _coupling(result),
    }


def _coupling(result: GateResult) -> dict[str, Any] | None:
    """The local import graph (issue 15): modules by fan-in (most depended upon first), and the
    cycles; None in a run without one (a --shard report)."""
    if result.coupling is None:
        return None
    data = coupling_to_dict(result.coupling)
    data["modules"].sort(key=lambda m: (-m["fan_in"], -m["fan_out"], m["module"]))
    return data
