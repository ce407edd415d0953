"""One cached outcome as plain JSON, and the checks every stored value passes before the gate
sees it: a damaged or crafted entry is measured again, never gated."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple, get_type_hints

from qualitygate.models import (
    AnalysisError,
    ClassMetrics,
    Dependencies,
    FileMetrics,
    FunctionMetrics,
    Halstead,
    ImportRecord,
    NotebookCell,
    RawMetrics,
    Scope,
    Suppression,
)
from qualitygate.serialize import file_to_dict

Outcome = FileMetrics | AnalysisError
LIMIT = 2**63  # a stored integer beyond a 64-bit one is not a measurement


class Malformed(ValueError):
    """A stored entry that does not hold what this version of qualitygate writes."""


def encode(outcome: Outcome, stamp: tuple[int, int, str]) -> dict[str, Any]:
    """The stored form of one outcome: the stamp it is valid for, and the metrics or the error.

    A file's functions are rows in ``FunctionMetrics`` field order: 16,500 functions on the
    stdlib read back in a third of the time keyed objects take. The field names are part of
    the cache key (``cache.key_parts``), so adding a metric starts a new cache.
    """
    size, mtime_ns, digest = stamp
    entry: dict[str, Any] = {"size": size, "mtime_ns": mtime_ns, "sha256": digest}
    if isinstance(outcome, AnalysisError):
        entry["error"] = {"line": outcome.line, "message": outcome.message}
        return entry
    metrics = file_to_dict(outcome)
    del metrics["path"]  # the display path depends on where the run started
    metrics["functions"] = [list(f) for f in outcome.functions]
    metrics["imports"] = [list(r) for r in outcome.imports]  # rows, as the functions (issue 15)
    metrics["classes"] = [list(c) for c in outcome.classes]  # rows too (issue 15)
    entry["metrics"] = metrics
    return entry


def stamp_of(entry: Any) -> tuple[int, int, str] | None:
    """``(size, mtime_ns, sha256)`` of a stored entry, or None when it has none."""
    if not isinstance(entry, dict):
        return None
    stamp = (entry.get("size"), entry.get("mtime_ns"), entry.get("sha256"))
    if type(stamp[0]) is int and type(stamp[1]) is int and type(stamp[2]) is str:
        return stamp  # type: ignore[return-value]
    return None


def decode(entry: dict[str, Any], display: str) -> Outcome:
    """The outcome stored in ``entry``, reported under ``display``; Malformed when it is not one."""
    try:
        if "error" in entry:
            return _error(entry["error"], display)
        return _file(entry["metrics"], display)
    except (KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise Malformed(f"{type(exc).__name__}: {exc}") from None


def _error(data: dict[str, Any], display: str) -> AnalysisError:
    line, message = data["line"], data["message"]
    if not ((line is None or _is_int(line)) and type(message) is str):
        raise Malformed("an error entry is malformed")
    return AnalysisError(display, line, message)


def _file(data: dict[str, Any], display: str) -> FileMetrics:
    deps = data["dependencies"]
    return FileMetrics(
        path=display,
        raw=_record(RawMetrics, data["raw"]),
        cyclomatic_complexity=_checked(data["cyclomatic_complexity"], int),
        maintainability_index=_checked(data["maintainability_index"], float),
        halstead=_record(Halstead, data["halstead"]),
        dependencies=Dependencies(*(_names(deps[kind]) for kind in Dependencies._fields)),
        functions=_functions(data["functions"]),
        suppressions=tuple(_suppression(s) for s in data["suppressions"]),
        imports=tuple(map(_import, data["imports"])),
        classes=tuple(map(_class, data["classes"])),  # required: an entry without them is re-measured
        cells=tuple(_record(NotebookCell, cell) for cell in data.get("cells", ())),  # notebooks (issue 15)
    )


def _record(cls: type[NamedTuple], data: dict[str, Any]) -> Any:
    if list(data) != list(cls._fields):
        raise Malformed(f"{cls.__name__} has other fields")
    hints = _HINTS[cls]
    return cls(*(_checked(data[name], hints[name]) for name in cls._fields))


def _checked(value: Any, kind: type) -> Any:
    """``value`` when it has the type the model says: an int for an int, an int or a float for a
    float (JSON keeps 3 and 3.0 apart, so warm equals cold), never a bool or null."""
    allowed = (int,) if kind is int else (int, float)
    if type(value) not in allowed or not -LIMIT < value < LIMIT:  # NaN too: it would fail nothing
        raise Malformed(f"{value!r} is not {kind.__name__}")
    return value


def _is_int(value: object) -> bool:
    return type(value) is int and -LIMIT < value < LIMIT  # type: ignore[operator]


def _names(values: Any) -> tuple[str, ...]:
    if type(values) is not list or not set(map(type, values)) <= {str}:
        raise Malformed("an import name is not a string")
    return tuple(values)


_HINTS: dict[type, dict[str, Any]] = {
    cls: get_type_hints(cls) for cls in (RawMetrics, Halstead, FunctionMetrics, NotebookCell)
}
# The types each column of a function row may hold, in field order.
_COLUMN_TYPES = tuple(
    frozenset((str,)) if hint is str else frozenset((int,)) if hint is int else frozenset((int, float))
    for hint in _HINTS[FunctionMetrics].values()
)


def _functions(rows: Any) -> tuple[FunctionMetrics, ...]:
    """Rows checked column by column: every value has its field's type before any is used."""
    if type(rows) is not list or not set(map(type, rows)) <= {list}:
        raise Malformed("the functions are not rows")
    if not set(map(len, rows)) <= {len(_COLUMN_TYPES)}:
        raise Malformed("a function row has other fields")
    for column, allowed in zip(zip(*rows, strict=True), _COLUMN_TYPES, strict=False):
        if not set(map(type, column)) <= allowed:
            raise Malformed("a function metric has the wrong type")
        if str not in allowed and not -LIMIT < math.fsum(map(abs, column)) < LIMIT:
            raise Malformed("a function metric is out of range")
    return tuple(map(FunctionMetrics._make, rows))


_SCOPES = frozenset(scope.value for scope in Scope)
_KINDS = frozenset(("qualitygate", "noqa"))


def _suppression(data: dict[str, Any]) -> Suppression:
    line, scope, names, target, problem, kind = (
        data[k] for k in ("line", "scope", "names", "target", "problem", "kind")
    )
    if not (_is_int(line) and _is_int(target) and scope in _SCOPES and type(problem) is str and kind in _KINDS):
        raise Malformed("a suppression is malformed")
    return Suppression(line, Scope(scope), _names(names), target, problem, kind)


def _import(row: Any) -> ImportRecord:
    """``[line, level, module, names, type_checking]``, each of its type (issue 15)."""
    if type(row) is not list or len(row) != len(ImportRecord._fields):
        raise Malformed("an import row has other fields")
    line, level, module, names, type_checking = row
    if not (_is_int(line) and _is_int(level) and type(module) is str and type(type_checking) is bool):
        raise Malformed("an import is malformed")
    return ImportRecord(line, level, module, _names(names), type_checking)


def function_fields() -> Sequence[str]:
    """The row layout, for the cache key."""
    return FunctionMetrics._fields


def _class(row: Any) -> ClassMetrics:
    """``[name, qualname, line, end_line, methods, wmc, lines, attributes, lcom4]`` (issue 15)."""
    if type(row) is not list or len(row) != len(ClassMetrics._fields):
        raise Malformed("a class row has other fields")
    if not (type(row[0]) is str and type(row[1]) is str and all(map(_is_int, row[2:]))):
        raise Malformed("a class is malformed")
    return ClassMetrics._make(row)
