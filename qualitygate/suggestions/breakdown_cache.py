"""Statement breakdowns on disk, keyed by the measured file's digest and the function's place,
so a warm run neither parses nor even reads a source file."""
from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_type_hints

from qualitygate.metrics.options import MetricOptions
from qualitygate.models import FileMetrics, FunctionMetrics
from qualitygate.store.atomic import write_atomic
from qualitygate.store.cache import (
    MAX_AGE_DAYS,
    SECONDS_PER_DAY,
    cache_file,
    cache_key,
    prepare_folder,
    prune_other_keys,
)
from qualitygate.store.cache_format import (
    checksum_matches,
    checksummed,
    header_matches,
    read_failure,
)
from qualitygate.suggestions.breakdown import CostSummary
from qualitygate.suggestions.rules import Lines, function_breakdown

PREFIX = "breakdowns-"
LAYOUT = 3  # the shape of the file; a new shape is a new layout, never a misread
# A summary is stored as the list of its fields, in order; a row is well-formed when each value
# has exactly its field's type (JSON gives bool for true/false, int for whole numbers).
_TYPES = tuple(get_type_hints(CostSummary).values())
_summary = functools.partial(tuple.__new__, CostSummary)  # rows of exactly len(_TYPES) values

Warn = Callable[[str], None]
# The sha256 of a file's bytes as read now (None when unreadable): ``SourceFiles.digest``.
Digest = Callable[[str], "str | None"]
_AGAIN = "computing the statement breakdowns again"
# What is stored per function: [day last seen, [summary as a list, ...]].
Stored = list[Any]


def source_key(digest: str, func: FunctionMetrics) -> str:
    """What a breakdown depends on: the bytes of the file (their sha256, as the metrics cache
    has it) and where the function is in them (line numbers appear in the advice)."""
    return f"{digest}:{func.lineno}:{func.end_lineno}:{func.qualname}"


def breakdowns_file(folder: Path, key: str) -> Path:
    """The file for this cache key: qualitygate's version and code, radon, Python, the options."""
    return cache_file(folder, key, PREFIX)


def _summaries(rows: object) -> list[CostSummary] | None:
    """The summaries of a stored entry, or None when it is not one (hand-edited, damaged)."""
    if type(rows) is not list or not rows or set(map(type, rows)) != {list}:
        return None
    if set(map(len, rows)) != {len(_TYPES)}:
        return None
    # Column by column, at C speed: every value has exactly its field's type.
    columns = zip(*rows, strict=True)
    if any(set(map(type, column)) != {kind} for column, kind in zip(columns, _TYPES, strict=True)):
        return None
    summaries = list(map(_summary, rows))
    # A function body has a statement; without one the advisor would have nothing to rank.
    return summaries if any(s.top for s in summaries) else None


class BreakdownCache:
    """``{source key: [day last seen, summaries]}``; read on first use, written only when changed.

    Unreadable or malformed counts as a miss with a warning: the advice is computed again, and
    the verdict never depends on this file.
    """

    def __init__(
        self, folder: Path, options: MetricOptions, warn: Warn, digest: Digest, now: float | None = None
    ) -> None:
        self.folder = folder
        self.options = options
        self.warn = warn
        self.digest = digest
        self.today = int((time.time() if now is None else now) // SECONDS_PER_DAY)
        self.file: Path | None = None  # known once loaded: its name is a crc32 of the key
        self.key = ""  # the metrics cache's key, worked out on first use
        self.entries: dict[str, Stored] | None = None
        self._dirty = False

    def breakdown(self, file: FileMetrics, func: FunctionMetrics, lines: Lines) -> list[CostSummary] | None:
        """The function's statement costs: from the cache while the file's bytes are those that
        were measured, else computed from ``lines`` (and stored when the bytes still match)."""
        # The metrics cache knows the digest of every file it served or stored: nothing to read.
        # Without it (a merged report), the file is read and hashed now.
        measured = file.source_digest
        digest = measured or self.digest(file.path)
        if digest is None:
            return function_breakdown(lines(), func)
        entries = self._load()
        key = source_key(digest, func)
        stored = entries.get(key)
        found = self._hit(entries, key, stored) if stored is not None else None
        if found is not None:
            return found
        found = function_breakdown(lines(), func)
        # Stored only for the very bytes measured: None means the file changed since measuring,
        # and a file edited since its digest was taken would store advice under the old bytes.
        # Metrics from elsewhere (a shard report) may not be these bytes': read, never stored.
        if found is not None and measured is not None and self.digest(file.path) == measured:
            entries[key] = [self.today, [list(s) for s in found]]
            self._dirty = True
        return found

    def _hit(
        self, entries: dict[str, Stored], key: str, stored: Stored
    ) -> list[CostSummary] | None:
        found = _summaries(stored[1])
        if found is None:
            del entries[key]
            self._dirty = True
            self.warn(f"the breakdown cache {self.file} has a malformed entry; computing it again")
        elif stored[0] != self.today:  # days, not seconds: a warm run the same day writes nothing
            entries[key] = [self.today, stored[1]]
            self._dirty = True
        return found

    def _load(self) -> dict[str, Stored]:
        if self.entries is None:
            self.key = cache_key(self.options)
            self.file = breakdowns_file(self.folder, self.key)
            self.entries = self._read(self.file)
        return self.entries

    def _read(self, file: Path) -> dict[str, Stored]:
        try:
            data = file.read_bytes()
            document = json.loads(data)
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, absurd nesting
            self.warn(f"cannot read the breakdown cache {file} ({read_failure(exc)}); {_AGAIN}")
            return {}
        problem = _document_problem(data, document, self.key)
        if problem:
            self.warn(f"the breakdown cache {file} {problem}; {_AGAIN}")
            return {}
        raw = document["entries"]
        entries = {key: value for key, value in raw.items() if _well_formed(value)}
        if len(entries) < len(raw):
            dropped = len(raw) - len(entries)
            self.warn(f"the breakdown cache {file} has {dropped} malformed entries; ignoring them")
        return entries

    def save(self) -> None:
        """Drop entries unseen for 30 days and write atomically; a failure is only a warning."""
        if self.entries is None or self.file is None:
            return  # never needed this run
        cutoff = self.today - MAX_AGE_DAYS
        stale = [key for key, (seen_day, _) in self.entries.items() if seen_day < cutoff]
        for key in stale:
            del self.entries[key]
        if self._dirty or stale:
            self._write(self.file, self.entries, cutoff)
        self._dirty = False

    def _write(self, file: Path, stored: dict[str, Stored], cutoff: int) -> None:
        entries = {key: stored[key] for key in sorted(stored)}
        # Under a crc32 like the metrics: a damaged entry must not change the advice unnoticed.
        body = json.dumps(entries, separators=(",", ":")).encode("ascii")
        try:
            prepare_folder(file.parent)
            write_atomic(file, checksummed(LAYOUT, self.key, body))
            prune_other_keys(file, PREFIX, cutoff * SECONDS_PER_DAY)
        except OSError as exc:
            self.warn(f"cannot write the breakdown cache in {file.parent} "
                      f"({exc.strerror or exc}); the next run computes the breakdowns again")  # fmt: skip


def _document_problem(data: bytes, document: Any, key: str) -> str:
    """What is wrong with a decoded breakdowns document as a whole; "" when nothing is."""
    if not (header_matches(document, LAYOUT, key) and isinstance(document.get("entries"), dict)):
        return "is not in the expected format"
    if not checksum_matches(data, document):
        return "is damaged (its checksum does not match)"
    return ""


def _well_formed(value: object) -> bool:
    """[day, rows] with an integer day; the rows are checked when the entry is used."""
    return (isinstance(value, list) and len(value) == 2 and type(value[0]) is int
            and isinstance(value[1], list))  # fmt: skip

