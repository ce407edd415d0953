"""GateResult <-> the versioned JSON document (docs/json-schema.md); round-trips exactly."""
from __future__ import annotations

import dataclasses
from typing import Any

from qualitygate.models import (
    AnalysisError,
    Dependencies,
    FileMetrics,
    FunctionMetrics,
    GateResult,
    Halstead,
    Metric,
    RawMetrics,
    Severity,
    Violation,
)

SCHEMA_VERSION = 1


def _flat(record: object) -> dict[str, Any]:
    """A flat dataclass as a dict in field order (``asdict`` deep-copies, 10x slower here)."""
    return dict(vars(record))


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
        "functions": [_flat(f) for f in file.functions],
    }


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
    }


def to_dict(result: GateResult) -> dict[str, Any]:
    """The whole report, in the fixed key order of schema version 1."""
    return {
        "version": SCHEMA_VERSION,
        "passed": result.passed,
        "summary": dataclasses.asdict(result.summary),
        "files": [_file_to_dict(f) for f in result.files],
        "violations": [violation_to_dict(v) for v in result.violations],
        "errors": [dataclasses.asdict(e) for e in result.errors],
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
    )


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
    )


def from_dict(data: dict[str, Any]) -> GateResult:
    """Rebuild a GateResult from a version-1 document; raises ValueError on another version."""
    if data.get("version") != SCHEMA_VERSION:
        raise ValueError(f"unsupported report version {data.get('version')!r}")
    return GateResult(
        files=tuple(_file_from_dict(f) for f in data["files"]),
        violations=tuple(violation_from_dict(v) for v in data["violations"]),
        errors=tuple(AnalysisError(**e) for e in data["errors"]),
    )
