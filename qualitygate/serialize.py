"""GateResult <-> the versioned JSON document (docs/json-schema.md); round-trips exactly."""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import operator
from collections.abc import Callable
from itertools import chain
from typing import Any

from qualitygate.metrics.notebook import Cells, cell_line, notebook_cells
from qualitygate.models import (
    AnalysisError,
    Change,
    ChangeStatus,
    ClassMetrics,
    Coupling,
    Dependencies,
    FileMetrics,
    FixedOffender,
    FunctionCoverage,
    FunctionMetrics,
    GateResult,
    Halstead,
    ImportRecord,
    Metric,
    ModuleCoupling,
    NotebookCell,
    RawMetrics,
    Scope,
    Severity,
    Suggestion,
    SuggestionKind,
    Suppression,
    Violation,
    function_ids,
)

SCHEMA_VERSION = 1

# A file entry's encoder. orjson encodes the stdlib's file entries (7 MB) in 0.017 s where the json
# module's C encoder takes 0.082 s: 0.065 s, 3% of a cold run, all of it in the serial tail after
# the pool (2026-12-04). Its text equals json.dumps's on every entry of that report
# (tests/test_serialize.py). An entry with a float the two spell differently (a NaN, an infinity,
# a magnitude below 1e-4 or from 1e16: ``_spelled_alike``) goes to the json module, as does
# anything orjson refuses, and every entry where orjson is not installed (PyPy has no wheel).
@functools.cache
def _orjson() -> Callable[[Any], bytes] | None:
    """orjson's ``dumps``, imported on the first entry written: it loads zoneinfo and more
    (5 ms), which a run without a JSON report (a pre-commit hook's text report) never needs."""
    try:
        from orjson import dumps
    except ImportError:  # installed with qualitygate on CPython
        return None
    return dumps


def _flat(record: RawMetrics | Halstead | FixedOffender) -> dict[str, Any]:
    """A flat record as a dict in field order."""
    return record._asdict()


def file_to_dict(file: FileMetrics) -> dict[str, Any]:
    """One file's metrics as the report writes them (the cache and history store this shape)."""
    return {
        "path": file.path,
        "raw": _flat(file.raw),
        "cyclomatic_complexity": file.cyclomatic_complexity,
        "maintainability_index": file.maintainability_index,
        "halstead": _flat(file.halstead),
        "dependencies": {
            "stdlib": list(file.dependencies.stdlib),
            "third_party": list(file.dependencies.third_party),
            "local": list(file.dependencies.local),
        },
        "functions": [f._asdict() for f in file.functions],
        "suppressions": [_suppression_to_dict(s) for s in file.suppressions],
        "imports": [r._asdict() | {"names": list(r.names)} for r in file.imports],  # issue 15
        "classes": [c._asdict() for c in file.classes],  # issue 15; docs/json-schema.md
        # A notebook's code cells (issue 15): only for notebooks, so other entries stay as they were.
        **({"cells": [c._asdict() for c in file.cells]} if file.cells else {}),
    }


def _suppression_to_dict(s: Suppression) -> dict[str, Any]:
    return {"line": s.line, "scope": s.scope.value, "names": list(s.names), "target": s.target,
            "problem": s.problem, "kind": s.kind}  # fmt: skip


def _suppression_from_dict(data: dict[str, Any]) -> Suppression:
    return Suppression(data["line"], Scope(data["scope"]), tuple(data["names"]), data["target"],
                       data["problem"], data.get("kind", "qualitygate"))  # fmt: skip


def violation_to_dict(v: Violation) -> dict[str, Any]:
    """One violation as the JSON report writes it."""
    return {
        "rule": v.rule,
        "metric": v.metric.value,
        "path": v.path,
        "line": v.line,
        "column": v.column,
        "end_line": v.end_line,
        "symbol": v.symbol,
        "value": v.value,
        "threshold": v.threshold,
        "message": v.message,
        "severity": v.severity.value,
        "baseline_value": v.baseline_value,
        "base_value": v.base_value,
    }


def to_dict(result: GateResult, *, with_files: bool = True) -> dict[str, Any]:
    """The whole report, in the fixed key order of schema version 1 (``files`` left empty when
    not ``with_files``, for a writer that encodes them one at a time)."""
    document = _to_dict(result, with_files)
    cells = notebook_cells(result.files)
    if cells:  # a run with notebooks (issue 15): where each offender is in its cells
        for key in ("violations", "suppressed", "baselined", "informational", "preexisting"):
            _with_cells(document[key], cells)
    return document


def _to_dict(result: GateResult, with_files: bool) -> dict[str, Any]:
    return {
        "version": SCHEMA_VERSION,
        "passed": result.passed,
        "summary": dataclasses.asdict(result.summary),
        "files": [file_to_dict(f) for f in result.files] if with_files else [],
        "violations": list(map(violation_to_dict, result.violations)),
        "errors": list(map(error_to_dict, result.errors)),
        # Offenders that do not fail, in lists of their own so older readers see no change (issue 4).
        "suppressed": list(map(violation_to_dict, result.suppressed)),
        "baselined": list(map(violation_to_dict, result.baselined)),
        "informational": list(map(violation_to_dict, result.informational)),
        # With --diff: changed, but failing at the merge-base too and no worse (issue 14).
        "preexisting": list(map(violation_to_dict, result.preexisting)),
        "fixed": list(map(_flat, result.fixed)),
        # Advice that never changes the verdict (issue 6); docs/suggestions.md.
        "suggestions": list(map(suggestion_to_dict, result.suggestions)),
        # With --diff: each function and file added, modified or removed since the base (issue 14).
        "changes": list(map(change_to_dict, result.changes)),
        # With coverage_file only (issue 14), so a report without one stays as it was.
        **({"coverage": [c._asdict() for c in result.coverage]} if result.coverage else {}),
        # The local import graph (issue 15); not in a --shard report, whose files are a part.
        **({"coupling": coupling_to_dict(result.coupling)} if result.coupling is not None else {}),
    }


def file_from_dict(data: dict[str, Any]) -> FileMetrics:
    """Inverse of ``file_to_dict``; raises KeyError or TypeError on a malformed dict."""
    deps = data["dependencies"]
    return FileMetrics(
        path=data["path"],
        raw=RawMetrics(**data["raw"]),
        cyclomatic_complexity=data["cyclomatic_complexity"],
        maintainability_index=data["maintainability_index"],
        halstead=Halstead(**data["halstead"]),
        dependencies=Dependencies(
            tuple(deps["stdlib"]), tuple(deps["third_party"]), tuple(deps["local"])
        ),
        functions=_functions(data["functions"]),
        suppressions=tuple(_suppression_from_dict(s) for s in data.get("suppressions", ())),
        imports=tuple(import_from_dict(i) for i in data.get("imports", ())),
        classes=tuple(ClassMetrics(**c) for c in data.get("classes", ())),  # older reports have none
        cells=tuple(_cell_from_dict(c) for c in data.get("cells", ())),
    )


def _cell_from_dict(data: dict[str, Any]) -> NotebookCell:
    """One code cell of a notebook; TypeError for a value that is not an int (a hand-edited shard)."""
    cell = NotebookCell(**data)
    if not all(type(n) is int for n in cell):
        raise TypeError("a notebook cell holds a value of the wrong type")
    return cell


def _with_cells(items: list[dict[str, Any]], cells: Cells) -> None:
    """Violations in a notebook get ``cell`` and ``cell_line``: where ``line`` is in its cells (issue 15)."""
    for item in items:
        where = cell_line(cells, item["path"], item["line"])
        if where is not None:
            item["cell"], item["cell_line"] = where.cell, where.line


def import_from_dict(data: dict[str, Any]) -> ImportRecord:
    """One import statement; TypeError for a value of the wrong type (a hand-edited shard)."""
    record = ImportRecord(data["line"], data["level"], data["module"], tuple(data["names"]),
                          data["type_checking"])  # fmt: skip
    texts = (record.module, *record.names)
    if not (type(record.line) is int and type(record.level) is int and type(record.type_checking) is bool
            and all(type(t) is str for t in texts)):  # fmt: skip
        raise TypeError("an import record holds a value of the wrong type")
    return record


def coupling_to_dict(coupling: Coupling) -> dict[str, Any]:
    """The local import graph as the report writes it (issue 15)."""
    return {"modules": [m._asdict() for m in coupling.modules], "cycles": [list(c) for c in coupling.cycles]}


def coupling_from_dict(data: dict[str, Any]) -> Coupling:
    """Inverse of ``coupling_to_dict``."""
    modules = tuple(ModuleCoupling(**m) for m in data["modules"])
    return Coupling(modules, tuple(tuple(c) for c in data["cycles"]))


def _functions(items: list[dict[str, Any]]) -> tuple[FunctionMetrics, ...]:
    """Function records; a report written before ids existed gets them as a new one would."""
    functions = tuple(FunctionMetrics(**f) for f in items)
    if all(f.id for f in functions):
        return functions
    ids = function_ids(f.qualname for f in functions)
    return tuple(f._replace(id=i) for f, i in zip(functions, ids, strict=True))


def encode(value: Any) -> str:
    """Compact JSON as every report writes it (``indent`` would fall back to the slow encoder)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode_file(file: FileMetrics) -> str:
    """``encode(file_to_dict(file))``: the same text, by orjson when it writes that text."""
    data = file_to_dict(file)
    dumps = _orjson()
    if dumps is not None and _spelled_alike(file):
        try:
            return dumps(data).decode()
        except TypeError:  # e.g. an int past 64 bits: the json module writes it
            pass
    return encode(data)


_FUNCTION_FLOATS = operator.attrgetter("maintainability_index", "halstead_volume", "halstead_volume_complete")


def _spelled_alike(file: FileMetrics) -> bool:
    """Whether orjson spells the entry's floats as the json module does: every one a finite
    number, 0 or of a magnitude in [1e-4, 1e16). Outside that range the two put the exponent
    differently (1e-07 and 1e-7, 1e+16 and 1e16), and orjson writes a NaN or an infinity as null.
    The entry's other numbers are ints, spelled alike; only a hand-edited shard could hold a float
    there, which might then be spelled the other way (the same number to any JSON reader)."""
    values = [*file.halstead[2:], file.maintainability_index, *chain.from_iterable(map(_FUNCTION_FLOATS, file.functions))]
    try:
        if not math.isfinite(sum(values)):  # a NaN or an infinity makes the sum one (so may an overflow)
            return False
        magnitudes = list(map(abs, filter(None, values)))
    except TypeError:  # not a number (a hand-edited shard): the json module writes what it is
        return False
    return not magnitudes or (min(magnitudes) >= 1e-4 and max(magnitudes) < 1e16)


def error_to_dict(error: AnalysisError) -> dict[str, Any]:
    """One analysis error as the report writes it."""
    return {"path": error.path, "line": error.line, "message": error.message}


def error_from_dict(data: dict[str, Any]) -> AnalysisError:
    """Inverse of ``error_to_dict``."""
    return AnalysisError(path=data["path"], line=data["line"], message=data["message"])


def violation_from_dict(data: dict[str, Any]) -> Violation:
    """Inverse of ``violation_to_dict``."""
    return Violation(
        rule=data["rule"],
        metric=Metric(data["metric"]),
        path=data["path"],
        line=data["line"],
        end_line=data["end_line"],
        symbol=data["symbol"],
        value=data["value"],
        threshold=data["threshold"],
        message=data["message"],
        severity=Severity(data.get("severity", "error")),
        baseline_value=data.get("baseline_value"),
        base_value=data.get("base_value"),
        column=data.get("column", 1),
    )


def from_dict(data: dict[str, Any]) -> GateResult:
    """Rebuild a GateResult from a version-1 document; raises ValueError on another version."""
    if data.get("version") != SCHEMA_VERSION:
        raise ValueError(f"unsupported report version {data.get('version')!r}")
    return GateResult(
        files=tuple(file_from_dict(f) for f in data["files"]),
        violations=tuple(violation_from_dict(v) for v in data["violations"]),
        errors=tuple(AnalysisError(**e) for e in data["errors"]),
        suppressed=_violations(data.get("suppressed", ())),
        baselined=_violations(data.get("baselined", ())),
        informational=_violations(data.get("informational", ())),
        preexisting=_violations(data.get("preexisting", ())),
        fixed=tuple(FixedOffender(**f) for f in data.get("fixed", ())),
        suggestions=tuple(suggestion_from_dict(s) for s in data.get("suggestions", ())),
        changes=tuple(change_from_dict(c) for c in data.get("changes", ())),
        coverage=tuple(coverage_from_dict(c) for c in data.get("coverage", ())),
        coupling=coupling_from_dict(data["coupling"]) if "coupling" in data else None,
    )


def _violations(items: Any) -> tuple[Violation, ...]:
    return tuple(violation_from_dict(v) for v in items)


def change_to_dict(c: Change) -> dict[str, Any]:
    """One change as the JSON report writes it: each metric as ``[before, after]``."""
    return {"path": c.path, "symbol": c.symbol, "status": c.status.value, "line": c.line,
            "end_line": c.end_line, "metrics": {name: list(pair) for name, pair in c.metrics}}  # fmt: skip


def coverage_from_dict(data: dict[str, Any]) -> FunctionCoverage:
    """One function's coverage (issue 14); TypeError for a value of the wrong type, so that a
    hand-edited shard report is refused by ``merge`` rather than formatted."""
    record = FunctionCoverage(**data)
    texts, counts, fractions = record[:2], (*record[2:7], record.column), record[7:9]
    if not (all(type(t) is str for t in texts) and all(type(n) is int for n in counts)
            and all(x is None or type(x) in (int, float) for x in fractions)):  # fmt: skip
        raise TypeError("a coverage record holds a value of the wrong type")
    return record


def change_from_dict(data: dict[str, Any]) -> Change:
    """Inverse of ``change_to_dict``."""
    metrics = tuple((name, _pair(pair)) for name, pair in data["metrics"].items())
    return Change(data["path"], data["symbol"], ChangeStatus(data["status"]), data["line"], data["end_line"], metrics)


def _pair(value: Any) -> tuple[Any, Any]:
    """``[before, after]``; anything else is a ValueError (a hand-edited report)."""
    if type(value) is not list or len(value) != 2:
        raise ValueError(f"a metric of a change is {value!r}, not [before, after]")
    return (value[0], value[1])


def suggestion_to_dict(s: Suggestion) -> dict[str, Any]:
    """One suggestion as the JSON report writes it; metrics before and after as objects."""
    return {
        "kind": s.kind.value,
        "rule": s.rule,
        "path": s.path,
        "line": s.line,
        "qualname": s.qualname,
        "text": s.text,
        "patch": s.patch,
        "verified": s.verified,
        "before": dict(s.before),
        "after": dict(s.after),
        "evidence": dict(s.evidence),  # issue 13: what was checked; {} for rule advice
    }


def suggestion_from_dict(data: dict[str, Any]) -> Suggestion:
    """Inverse of ``suggestion_to_dict``."""
    return Suggestion(
        kind=SuggestionKind(data["kind"]),
        rule=data["rule"],
        path=data["path"],
        line=data["line"],
        qualname=data["qualname"],
        text=data["text"],
        patch=data["patch"],
        verified=data["verified"],
        before=tuple(data["before"].items()),
        after=tuple(data["after"].items()),
        evidence=tuple(data.get("evidence", {}).items()),
    )
