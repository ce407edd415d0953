"""The cache file's bytes (layout 6): entries of positional rows, the report records after them,
a crc32 over both; and the checks every stored value passes before the gate sees it."""
from __future__ import annotations

import json
import math
import zlib
from collections.abc import Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard

from qualitygate.models import (
    AnalysisError,
    FileMetrics,
    Halstead,
    RawMetrics,
    Scope,
)
from qualitygate.serialize import (
    FileRow,
    error_from_dict,
    error_to_dict,
    file_from_row,
    file_to_row,
    record_without_path,
)

LAYOUT = 6  # the shape of the cache file; a new shape is a new file name, never a misread
ENTRIES = b'"entries":'  # the checksum covers everything after this member name
RECORDS = b',"records":['  # the last member: the report records, read by slicing, not parsing
RECORD_HEAD = b'{"path":"",'  # a stored record's path is empty: the display path is this run's

Outcome = FileMetrics | AnalysisError


class Entry(NamedTuple):
    """One file's stored outcome, valid while the size and mtime, or else the digest, match."""

    size: int
    mtime_ns: int
    digest: str
    seen_day: int  # days since the epoch of the last run that saw the file (for pruning)
    kind: str  # "file" (FileMetrics) or "error" (AnalysisError)
    data: Any  # "file": the positional row of ``serialize.file_to_row``; "error": its JSON object
    # "file": the report's JSON record after its path (UTF-8), written as is when warm; a view of
    # the cache file's bytes when read from it, so it is neither copied nor decoded to be used.
    record: bytes | memoryview = b""

    @classmethod
    def parse(cls, raw: object, records: memoryview, ascii_only: bool = False) -> Entry | None:
        """An entry from its JSON list and the records section, or None when it is not one."""
        if not (isinstance(raw, list) and len(raw) == 8):
            return None
        size, mtime_ns, digest, seen_day, kind, data, start, length = raw
        if not (_ints(size, mtime_ns, seen_day, start, length) and isinstance(digest, str)):
            return None
        if (kind, type(data)) == ("error", dict):
            return cls(size, mtime_ns, digest, seen_day, kind, data)
        record = _record(records, start, length, ascii_only)
        if kind != "file" or type(data) is not list or record is None:
            return None
        return cls(size, mtime_ns, digest, seen_day, kind, data, record)

    def dump(self, start: int, length: int) -> list[Any]:
        """The compact JSON list this entry is stored as; its record sits at ``start`` in the
        records section."""
        return [self.size, self.mtime_ns, self.digest, self.seen_day, self.kind, self.data, start, length]


def _ints(*values: object) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def encode_entry(outcome: Outcome) -> Entry:
    """The stored form of one outcome; the stamps are filled in by the caller."""
    if isinstance(outcome, FileMetrics):
        record = record_without_path(outcome).encode("utf-8")
        return Entry(0, 0, "", 0, "file", file_to_row(outcome), record)
    return Entry(0, 0, "", 0, "error", error_to_dict(outcome))


def decode_entry(entry: Entry, display: str) -> Outcome:
    # Paths are not stored: the display path depends on where this run started.
    if entry.kind != "file":
        return error_from_dict(_error_checked({**entry.data, "path": display}))
    return file_from_row(_row_checked(entry.data), display, (entry.record, entry.digest))


_NUMBER_TYPES = frozenset((int, float))
TABLE_FIELDS = 4  # function_table.pack: count, names, qualnames, records
RAW_FIELDS = len(RawMetrics._fields)
HALSTEAD_FIELDS = len(Halstead._fields)


def _record(records: memoryview, start: int, length: int, ascii_only: bool) -> memoryview | None:
    """The stored record at ``start`` without its empty path, or None when it is not one (not
    there, or not UTF-8: checked here unless the whole file is ASCII, as it nearly always is)."""
    body = start + len(RECORD_HEAD)
    if not (0 <= start and body <= start + length <= len(records)) or records[start:body] != RECORD_HEAD:
        return None
    record = records[body : start + length]
    if not ascii_only:
        try:
            str(record, "utf-8")
        except UnicodeDecodeError:
            return None
    return record


def _row_checked(row: FileRow) -> FileRow:
    """Every value of a stored row has a type the models can use, or TypeError (which the cache
    treats as malformed: the file is measured again). The checksum already rules out damage;
    this keeps a crafted entry from crashing the gate, or from gating other functions than the
    stored record reports. The function table checks itself as it is unpacked."""
    raw, cyclomatic, maintainability, halstead, deps, table, suppressions = row
    if not (_lists(raw, halstead, deps, table, suppressions) and len(deps) == 3
            and (len(raw), len(halstead), len(table)) == (RAW_FIELDS, HALSTEAD_FIELDS, TABLE_FIELDS)):  # fmt: skip
        raise TypeError("a row part has the wrong shape")
    numbers = [cyclomatic, maintainability, *raw, *halstead]
    if not set(map(type, numbers)) <= _NUMBER_TYPES:  # exactly int or float: no bool, no null
        raise TypeError("a metric is not a number")
    math.fsum(numbers)  # OverflowError for an int too large to format as a float
    if not _strings(*deps):
        raise TypeError("an import name is not a string")
    _suppressions_checked(suppressions)
    return row


def _suppressions_checked(suppressions: list[Any]) -> None:
    for line, scope, names, target, problem in suppressions:
        if not (_ints(line, target) and scope in SCOPES and _lists(names) and _strings(names, [problem])):
            raise TypeError("a suppression is malformed")


SCOPES = frozenset(scope.value for scope in Scope)


def _lists(*values: object) -> bool:
    return set(map(type, values)) <= _LIST  # at C speed: 732 rows on a warm stdlib run


def _strings(*sequences: Sequence[object]) -> bool:
    return set(map(type, chain.from_iterable(sequences))) <= _STR


_LIST, _STR = frozenset((list,)), frozenset((str,))


def _error_checked(data: dict[str, Any]) -> dict[str, Any]:
    line, message = data.get("line"), data.get("message")
    if not ((line is None or _ints(line)) and isinstance(message, str)):
        raise TypeError("an error entry is malformed")
    return data


def dump_entries(entries: Mapping[str, Entry], key: str) -> bytes:
    """``{"layout":6,"key":K,"crc32":N,"entries":{...},"records":[{...},...]}``: one JSON document.

    The records (each file's report record, with an empty path) come last, so reading the
    cache parses the entries and only slices the records: they are 3/4 of the bytes and
    would be parsed for nothing, since a report copies them as they are.
    """
    index_of: dict[str, list[Any]] = {}
    records: list[bytes] = []
    start = 0
    for path in sorted(entries):
        entry = entries[path]
        record = RECORD_HEAD + entry.record if entry.kind == "file" else b""
        index_of[path] = entry.dump(start, len(record))
        if record:
            records.append(record)
            start += len(record) + 1  # and the comma
    # ASCII: a file name that is not UTF-8 (lone surrogates in Python) stays a valid key.
    index = json.dumps(index_of, separators=(",", ":")).encode("ascii")
    body = index + RECORDS + b",".join(records) + b"]"
    # Records are copied into reports unread, so a damaged file must be noticed: crc32 over
    # the entries and records catches a flipped byte or a hand edit for ~1 ms on the stdlib.
    return checksummed(LAYOUT, key, body)


def read_entries(file: Path, key: str) -> tuple[dict[str, Entry], list[str]]:
    """The well-formed entries stored in ``file`` under ``key``, with warnings; a missing file
    has none."""
    try:
        data = file.read_bytes()
        split = data.find(RECORDS)
        # Only the part before the records is parsed; the records are sliced by offset.
        document = json.loads(data[:split] + b"}") if split > 0 else None
    except FileNotFoundError:
        return {}, []
    except (OSError, ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, absurd nesting
        return {}, [f"cannot read the cache {file} ({read_failure(exc)}); measuring every file"]
    if not (header_matches(document, LAYOUT, key) and data.endswith(b"]}")):
        return {}, [f"the cache {file} is not in the expected format; measuring every file"]
    if not checksum_matches(data, document):
        return {}, [f"the cache {file} is damaged (its checksum does not match); measuring every file"]
    # ASCII bytes are UTF-8: one pass over the file spares checking each record on its own.
    return _entries_of(document, file, memoryview(data)[split + len(RECORDS) :], data.isascii())


def checksummed(layout: int, key: str, body: bytes) -> bytes:
    """``{"layout":L,"key":K,"crc32":N,"entries":BODY}``, where N is the crc32 of BODY's bytes
    and K the cache key (``cache.cache_key``) the entries were measured under."""
    head = f'{{"layout":{layout},"key":{json.dumps(key)},"crc32":{zlib.crc32(body)},'
    return head.encode() + ENTRIES + body + b"}"


def header_matches(document: object, layout: int, key: str) -> TypeGuard[dict[str, Any]]:
    """A document of this layout, written under this very key (the file name is only a crc32
    of it: a file of another key under the same name is never read as this key's)."""
    return isinstance(document, dict) and document.get("layout") == layout and document.get("key") == key


def checksum_matches(data: bytes, document: dict[str, Any]) -> bool:
    """Whether the bytes after ``"entries":`` (less the closing brace) have the stored crc32."""
    start = data.find(ENTRIES)
    expected = document.get("crc32")
    if start < 0 or not _ints(expected):
        return False
    return zlib.crc32(memoryview(data)[start + len(ENTRIES) : -1]) == expected


def read_failure(exc: Exception) -> str:
    """The OS's own wording when there is one, else the exception's text."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _entries_of(
    document: dict[str, Any], file: Path, records: memoryview, ascii_only: bool
) -> tuple[dict[str, Entry], list[str]]:
    """The well-formed entries of a decoded cache document, with a warning for what was dropped."""
    raw = document.get("entries")
    if not isinstance(raw, dict):
        return {}, [f"the cache {file} is not in the expected format; measuring every file"]
    entries = {key: entry for key, value in raw.items() if (entry := Entry.parse(value, records, ascii_only))}
    if len(entries) < len(raw):
        return entries, [f"the cache {file} has {len(raw) - len(entries)} malformed entries; ignoring them"]
    return entries, []
