"""Statement breakdowns kept with the file's metrics cache entry, so a warm run parses no source
to advise: valid while the file's bytes are the ones the entry was measured from."""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, get_type_hints

from qualitygate.models import FileMetrics, FunctionMetrics
from qualitygate.store.cache import MetricsCache
from qualitygate.suggestions.breakdown import CostSummary
from qualitygate.suggestions.breakdowns import Breakdowns, Found, Key, LinesOf, Mapper, key

# A summary is stored as the list of its fields, in order; a row is well-formed when each value
# has exactly its field's type (JSON gives bool for true/false, int for whole numbers).
_TYPES = tuple(get_type_hints(CostSummary).values())
_summary = functools.partial(tuple.__new__, CostSummary)  # rows of exactly len(_TYPES) values

Warn = Callable[[str], None]
# The sha256 of a file's bytes as read now (None when unreadable): ``SourceFiles.digest``.
Digest = Callable[[str], "str | None"]


def breakdown_name(func: FunctionMetrics) -> str:
    """Where the function is in the file's bytes (line numbers appear in the advice)."""
    return f"{func.lineno}:{func.end_lineno}:{func.qualname}"


def _summaries(rows: Any) -> list[CostSummary] | None:
    """The summaries of a stored breakdown, or None when it is not one (hand-edited, damaged)."""
    if type(rows) is not list or not rows or set(map(type, rows)) != {list}:
        return None
    if set(map(len, rows)) != {len(_TYPES)}:
        return None
    columns = zip(*rows, strict=True)
    if any(set(map(type, column)) != {kind} for column, kind in zip(columns, _TYPES, strict=True)):
        return None
    summaries = list(map(_summary, rows))
    # A function body has a statement; without one the advisor would have nothing to rank.
    return summaries if any(s.top for s in summaries) else None


class BreakdownCache(Breakdowns):
    """The ``Breakdowns`` the advisor asks for, read from and written to the metrics cache.

    A malformed entry counts as a miss with a warning: the advice is computed again, and the
    verdict never depends on it.
    """

    def __init__(self, cache: MetricsCache, digest: Digest, warn: Warn, count_asserts: bool = True,
                 mapper: Mapper = map) -> None:  # fmt: skip
        super().__init__(count_asserts, mapper)  # the cache is keyed by count_asserts too
        self.cache = cache
        self.digest = digest
        self.warn = warn

    def of(self, wanted: Sequence[tuple[FileMetrics, FunctionMetrics]], lines: LinesOf) -> dict[Key, Found]:
        """Each function's statement costs: stored while the file's bytes are those the cache
        measured, else computed from its lines (and stored when the bytes are the cache's)."""
        found: dict[Key, Found] = {}
        missing: list[tuple[FileMetrics, FunctionMetrics]] = []
        for file, func in wanted:
            stored = self._stored(file, func)
            if stored is None:
                missing.append((file, func))
            else:
                found[key(file, func)] = stored
        computed = self.compute([lines(file.path) for file, _ in missing], [func for _, func in missing])
        for (file, func), costs in zip(missing, computed, strict=True):
            found[key(file, func)] = costs
            digest = self.digest(file.path)
            if costs is not None and digest is not None:
                self.cache.store_breakdown(file.path, digest, breakdown_name(func), [list(s) for s in costs])
        return found

    def _stored(self, file: FileMetrics, func: FunctionMetrics) -> list[CostSummary] | None:
        """The stored breakdown, when the file's bytes are still those the cache measured."""
        digest = self.digest(file.path)
        if digest is None:
            return None
        stored = self.cache.breakdowns(file.path, digest).get(breakdown_name(func))
        found = _summaries(stored) if stored is not None else None
        if stored is not None and found is None:
            self.warn(f"the cached breakdown of {func.qualname} in {file.path} is malformed; computing it again")
        return found

    def save(self) -> None:
        """Write what was added; a failure is only a warning."""
        self.cache.save()
