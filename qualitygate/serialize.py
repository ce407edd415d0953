"""GateResult <-> the versioned JSON document (docs/json-schema.md); round-trips exactly."""
from __future__ import annotations

import dataclasses
import json
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from qualitygate.models import (
    AnalysisError,
    Dependencies,
    FileMetrics,
    FixedOffender,
    FunctionMetrics,
    GateResult,
    Halstead,
    Metric,
    RawMetrics,
    Scope,
    Severity,
    Suggestion,
    SuggestionKind,
    Suppression,
    Violation,
)
from qualitygate.store import function_table

SCHEMA_VERSION = 1


def _flat(record: RawMetrics | Halstead | FixedOffender) -> dict[str, Any]:
    """A flat record as a dict in field order."""
    return record._asdict()


def _file_to_dict(file: FileMetrics) -> dict[str, Any]:
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
    }


def _suppression_to_dict(s: Suppression) -> dict[str, Any]:
    return {"line": s.line, "scope": s.scope.value, "names": list(s.names), "target": s.target,
            "problem": s.problem}  # fmt: skip


def _suppression_from_dict(data: dict[str, Any]) -> Suppression:
    return Suppression(data["line"], Scope(data["scope"]), tuple(data["names"]), data["target"],
                       data["problem"])  # fmt: skip


def violation_to_dict(v: Violation) -> dict[str, Any]:
    """One violation as the JSON report writes it."""
    return {
        "rule": v.rule,
        "metric": v.metric.value,
        "path": v.path,
        "line": v.line,
        "end_line": v.end_line,
        "symbol": v.symbol,
        "value": v.value,
        "threshold": v.threshold,
        "message": v.message,
        "severity": v.severity.value,
        "baseline_value": v.baseline_value,
    }


def to_dict(result: GateResult) -> dict[str, Any]:
    """The whole report, in the fixed key order of schema version 1."""
    return {
        **report_head(result),
        "files": [_file_to_dict(f) for f in result.files],
        **report_tail(result),
    }


def report_head(result: GateResult) -> dict[str, Any]:
    """The members before ``files``: a writer that encodes the file records itself needs both
    halves apart (reporters.json_format)."""
    return {
        "version": SCHEMA_VERSION,
        "passed": result.passed,
        "summary": dataclasses.asdict(result.summary),
    }


def report_tail(result: GateResult) -> dict[str, Any]:
    """The members after ``files``, in schema order."""
    return {
        "violations": [violation_to_dict(v) for v in result.violations],
        "errors": [e._asdict() for e in result.errors],
        # Offenders that do not fail, in lists of their own so older readers see no change (issue 4).
        "suppressed": [violation_to_dict(v) for v in result.suppressed],
        "baselined": [violation_to_dict(v) for v in result.baselined],
        "informational": [violation_to_dict(v) for v in result.informational],
        "fixed": [_flat(f) for f in result.fixed],
        # Advice that never changes the verdict (issue 6); docs/suggestions.md.
        "suggestions": [suggestion_to_dict(s) for s in result.suggestions],
    }


def _file_from_dict(data: dict[str, Any]) -> FileMetrics:
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
        functions=tuple(FunctionMetrics(**f) for f in data["functions"]),
        suppressions=tuple(_suppression_from_dict(s) for s in data.get("suppressions", ())),
    )


def file_to_dict(file: FileMetrics) -> dict[str, Any]:
    """One file's metrics as the report writes them (the cache and history store this shape)."""
    return _file_to_dict(file)


def file_from_dict(data: dict[str, Any]) -> FileMetrics:
    """Inverse of ``file_to_dict``; raises KeyError or TypeError on a malformed dict."""
    return _file_from_dict(data)


def encode(value: Any) -> str:
    """Compact JSON as every report writes it (``indent`` would fall back to the slow encoder)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def record_without_path(file: FileMetrics) -> str:
    """The file's compact JSON record after its ``"path":…,`` member (what the cache stores)."""
    text = encode(_file_to_dict(file))
    return text[len('{"path":') + len(encode(file.path)) + 1 :]


def encode_file(file: FileMetrics) -> list[bytes | memoryview]:
    """The file's compact JSON record as UTF-8, in pieces: a record the cache stored is reused
    as the cache's bytes, neither encoded again, decoded nor copied (reporters.json_format)."""
    if file.stored_record is None:
        return [encode(_file_to_dict(file)).encode("utf-8")]
    # What encode(file.path) returns, without json.dumps's per-call set-up (732 calls warm).
    return [b'{"path":', encode_basestring(file.path).encode("utf-8"), b",", file.stored_record]


FileRow = list[Any]


def with_record(file: FileMetrics, record: bytes | memoryview, digest: str) -> FileMetrics:
    """``file`` carrying ``record`` (from ``record_without_path`` of these very metrics) and the
    ``digest`` of the bytes they were measured from."""
    copy = dataclasses.replace(file)  # the fields are not init fields: never copied by replace
    _attach(copy, record, digest)
    return copy


def _attach(file: FileMetrics, record: bytes | memoryview, digest: str) -> None:
    object.__setattr__(file, "stored_record", record)
    object.__setattr__(file, "source_digest", digest)


def file_to_row(file: FileMetrics) -> FileRow:
    """The file's metrics as positional lists (no path): the cache's compact, fast-to-read form."""
    deps = file.dependencies
    return [
        list(file.raw),
        file.cyclomatic_complexity,
        file.maintainability_index,
        list(file.halstead),
        [list(deps.stdlib), list(deps.third_party), list(deps.local)],
        function_table.pack(file.functions),
        [[s.line, s.scope.value, list(s.names), s.target, s.problem] for s in file.suppressions],
    ]


def file_from_row(
    row: FileRow, path: str, stored: tuple[bytes | memoryview, str] | None = None
) -> FileMetrics:
    """Inverse of ``file_to_row``, with the cache's ``(record, digest)`` when given; raises
    TypeError or ValueError on a malformed row."""
    raw, cyclomatic, maintainability, halstead, deps, functions, suppressions = row
    stdlib, third_party, local = deps
    file = FileMetrics(
        path,
        RawMetrics(*raw),
        cyclomatic,
        maintainability,
        Halstead(*halstead),
        Dependencies(tuple(stdlib), tuple(third_party), tuple(local)),
        function_table.unpack(functions),
        tuple([Suppression(s[0], Scope(s[1]), tuple(s[2]), s[3], s[4]) for s in suppressions]),
    )
    if stored is not None:  # built here from the same entry: set, not copied
        _attach(file, *stored)
    return file


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
    )


def from_dict(data: dict[str, Any]) -> GateResult:
    """Rebuild a GateResult from a version-1 document; raises ValueError on another version."""
    if data.get("version") != SCHEMA_VERSION:
        raise ValueError(f"unsupported report version {data.get('version')!r}")
    return GateResult(
        files=tuple(_file_from_dict(f) for f in data["files"]),
        violations=tuple(violation_from_dict(v) for v in data["violations"]),
        errors=tuple(AnalysisError(**e) for e in data["errors"]),
        suppressed=_violations(data.get("suppressed", ())),
        baselined=_violations(data.get("baselined", ())),
        informational=_violations(data.get("informational", ())),
        fixed=tuple(FixedOffender(**f) for f in data.get("fixed", ())),
        suggestions=tuple(suggestion_from_dict(s) for s in data.get("suggestions", ())),
    )


def _violations(items: Any) -> tuple[Violation, ...]:
    return tuple(violation_from_dict(v) for v in items)


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
    )
