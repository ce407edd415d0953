"""Statement breakdowns on disk, keyed by each function's own source, so a warm run parses nothing."""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_type_hints

from qualitygate.atomic import write_atomic
from qualitygate.cache import (
    MAX_AGE_DAYS,
    SECONDS_PER_DAY,
    cache_file,
    prepare_folder,
    prune_other_keys,
)
from qualitygate.cache_format import checksum_matches, checksummed, read_failure
from qualitygate.metrics.options import MetricOptions
from qualitygate.models import FunctionMetrics
from qualitygate.suggestions.breakdown import CostSummary
from qualitygate.suggestions.rules import function_breakdown

PREFIX = "breakdowns-"
LAYOUT = 2  # the shape of the file; a new shape is a new layout, never a misread
# A summary is stored as the list of its fields, in order; a row is well-formed when each value
# has exactly its field's type (JSON gives bool for true/false, int for whole numbers).
_TYPES = tuple(get_type_hints(CostSummary).values())

Warn = Callable[[str], None]
_AGAIN = "computing the statement breakdowns again"
# What is stored per function: [day last seen, [summary as a list, ...]].
Stored = list[Any]


def source_key(lines: list[str], func: FunctionMetrics) -> str:
    """sha256 of what the breakdown depends on: the function's own lines and where they start
    (line numbers appear in the advice); the lines are those ``parse_function`` reads."""
    text = "".join(lines[func.lineno - 1 : func.end_lineno])
    return hashlib.sha256(
        f"{func.lineno}:{func.name}\n{text}".encode("utf-8", "surrogatepass")
    ).hexdigest()


def breakdowns_file(folder: Path, options: MetricOptions) -> Path:
    """The file for this cache key: qualitygate's version and code, radon, Python, the options."""
    return cache_file(folder, options, PREFIX)


def _summaries(rows: object) -> list[CostSummary] | None:
    """The summaries of a stored entry, or None when it is not one (hand-edited, damaged)."""
    if not isinstance(rows, list) or not all(
        type(r) is list and tuple(map(type, r)) == _TYPES for r in rows
    ):
        return None
    summaries = [CostSummary._make(r) for r in rows]
    # A function body has a statement; without one the advisor would have nothing to rank.
    return summaries if any(s.top for s in summaries) else None


class BreakdownCache:
    """``{source key: [day last seen, summaries]}``; read on first use, written only when changed.

    Unreadable or malformed counts as a miss with a warning: the advice is computed again, and
    the verdict never depends on this file.
    """

    def __init__(
        self, folder: Path, options: MetricOptions, warn: Warn, now: float | None = None
    ) -> None:
        self.folder = folder
        self.options = options
        self.warn = warn
        self.today = int((time.time() if now is None else now) // SECONDS_PER_DAY)
        self.file: Path | None = None  # known once loaded: its name hashes qualitygate's code
        self.entries: dict[str, Stored] | None = None
        self._dirty = False

    def breakdown(self, lines: list[str], func: FunctionMetrics) -> list[CostSummary] | None:
        """The function's statement costs: from the file when its source is unchanged, else fresh."""
        entries = self._load()
        key = source_key(lines, func)
        stored = entries.get(key)
        found = self._hit(entries, key, stored) if stored is not None else None
        if found is not None:
            return found
        found = function_breakdown(lines, func)
        if found is not None:  # None: the file changed since measuring; nothing worth keeping
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
            self.file = breakdowns_file(self.folder, self.options)
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
        problem = _document_problem(data, document)
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
            write_atomic(file, checksummed(LAYOUT, body))
            prune_other_keys(file, PREFIX, cutoff * SECONDS_PER_DAY)
        except OSError as exc:
            self.warn(f"cannot write the breakdown cache in {file.parent} "
                      f"({exc.strerror or exc}); the next run computes the breakdowns again")  # fmt: skip


def _document_problem(data: bytes, document: Any) -> str:
    """What is wrong with a decoded breakdowns document as a whole; "" when nothing is."""
    raw = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(raw, dict) or document.get("layout") != LAYOUT:
        return "is not in the expected format"
    if not checksum_matches(data, document):
        return "is damaged (its checksum does not match)"
    return ""


def _well_formed(value: object) -> bool:
    """[day, rows] with an integer day; the rows are checked when the entry is used."""
    return (isinstance(value, list) and len(value) == 2 and type(value[0]) is int
            and isinstance(value[1], list))  # fmt: skip

