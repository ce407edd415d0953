"""The versioned JSON report that other tools and our CI formats build on."""
from __future__ import annotations

import codecs
import math
from collections.abc import Callable
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any, BinaryIO, TextIO

from qualitygate.models import GateResult, Suggestion, Violation
from qualitygate.outputs import ReportContext
from qualitygate.serialize import (
    encode,
    encode_file,
    report_head,
    suggestion_to_dict,
    violation_to_dict,
)


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Write the report as compact JSON, keys in schema order.

    Compact on purpose: with ``indent`` the json module falls back to its pure-Python encoder,
    which costs more than measuring the stdlib's 700 files takes on a warm cache. Pipe to
    ``python -m json.tool`` or ``jq`` to read it.
    """
    # Files are spliced in as records: a warm run reuses the ones the cache stored (issue 5).
    stream.write(encode(report_head(result))[:-1] + ',"files":[')
    pieces = [piece for file in result.files for piece in (*encode_file(file), b",")]
    files = b"".join(pieces[:-1])
    binary = _utf8_bytes_of(stream)
    if binary is None:
        stream.write(files.decode("utf-8"))
    else:  # the stored records are UTF-8 already: written as the cache holds them
        stream.flush()
        binary.write(files)
    stream.write("]," + encode_tail(result)[1:] + "\n")


def _utf8_bytes_of(stream: TextIO) -> BinaryIO | None:
    """The byte stream under ``stream`` when it writes UTF-8 (a file we opened, most stdouts);
    None for another encoding or a text-only stream (StringIO)."""
    binary = getattr(stream, "buffer", None)
    try:
        utf8 = codecs.lookup(getattr(stream, "encoding", None) or "").name == "utf-8"
    except LookupError:
        return None
    return binary if utf8 and binary is not None else None


def encode_tail(result: GateResult) -> str:
    """``encode(serialize.report_tail(result))``, byte for byte, without building its dicts.

    Violations and suggestions are the bulk of a report after the file records (4,000 of them
    on the stdlib): filled into fixed templates they cost half what the json module's dicts do.
    """
    return "".join([
        '{"violations":', _violations(result.violations),
        ',"errors":', encode([e._asdict() for e in result.errors]),
        ',"suppressed":', _violations(result.suppressed),
        ',"baselined":', _violations(result.baselined),
        ',"informational":', _violations(result.informational),
        ',"fixed":', encode([f._asdict() for f in result.fixed]),
        ',"suggestions":[', ",".join(map(_suggestion, result.suggestions)), "]}",
    ])  # fmt: skip


def _violations(violations: tuple[Violation, ...]) -> str:
    return "[" + ",".join(map(_violation, violations)) + "]"


def _or_as_dict(template: Callable[[Any], str], as_dict: Callable[[Any], dict[str, Any]]) -> Callable[[Any], str]:
    """``template``, falling back to the json module for a value of another type than the model
    says (a shard report given to ``merge`` is read as it was written): the same bytes either way."""

    def write(record: Any) -> str:
        try:
            return template(record)
        except (TypeError, ValueError):
            return encode(as_dict(record))

    return write


_VIOLATION = ('{"rule":%s,"metric":%s,"path":%s,"line":%s,"end_line":%s,"symbol":%s,"value":%s,'
              '"threshold":%s,"message":%s,"severity":%s,"baseline_value":%s}')  # fmt: skip
_SUGGESTION = ('{"kind":%s,"rule":%s,"path":%s,"line":%s,"qualname":%s,"text":%s,"patch":%s,'
               '"verified":%s,"before":%s,"after":%s}')  # fmt: skip


def _violation_template(v: Violation) -> str:
    # Metric, Severity and SuggestionKind are str enums: a member is the string of its value, so
    # it is encoded as it stands (``.value`` is a Python-level property, 6,000 calls here).
    text = encode_basestring
    return _VIOLATION % (
        text(v.rule), text(v.metric), text(v.path), _number(v.line), _number(v.end_line),
        text(v.symbol), _number(v.value), _number(v.threshold), text(v.message),
        text(v.severity), _number(v.baseline_value),
    )  # fmt: skip


def _suggestion_template(s: Suggestion) -> str:
    text = encode_basestring
    return _SUGGESTION % (
        text(s.kind), text(s.rule), text(s.path), _number(s.line),
        "null" if s.qualname is None else text(s.qualname), text(s.text),
        "null" if s.patch is None else text(s.patch), _number(s.verified),
        encode(dict(s.before)) if s.before else "{}", encode(dict(s.after)) if s.after else "{}",
    )  # fmt: skip


_violation = _or_as_dict(_violation_template, violation_to_dict)
_suggestion = _or_as_dict(_suggestion_template, suggestion_to_dict)


def _number(value: float | None) -> str:
    """A number, bool or null exactly as the json module writes it (``allow_nan``)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if math.isfinite(value):
        return float.__repr__(value)
    return "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"
