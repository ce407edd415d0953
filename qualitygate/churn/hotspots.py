"""Hotspots: functions ranked by how often they changed times their cognitive complexity.

Adam Tornhill's hotspot analysis ("Your Code as a Crime Scene", as CodeScene prioritises): of
the complicated code, the part that keeps changing is where effort pays first. A function's
changes are the commits of the window whose changed lines, replayed onto today's line numbers,
fall in its lines (first decorator to last line, as ``--diff`` counts them). Issue 14.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from qualitygate.churn.gitlog import Repository, log_patches, merge_patches, worktree_patches
from qualitygate.churn.replay import History, LineMap, Touch, merge_pairs, merged, replay
from qualitygate.churn.store import history_file, history_key, load, save
from qualitygate.models import FileMetrics, FunctionMetrics, GateResult, Metric, Violation
from qualitygate.paths import display_path

DEFAULT_DAYS = 180
DEFAULT_TOP = 20
DAY = 86400

Warn = Callable[[str], None]


class Hotspot(NamedTuple):
    """One function, how often it changed in the window, and its score."""

    path: str
    function: str  # FunctionMetrics.id: the qualname, "#2" for the second def sharing it
    line: int
    end_line: int
    commits: int
    authors: int
    last_change: int  # committer time of its newest commit, seconds since the epoch
    cognitive_complexity: int
    score: int  # commits × cognitive complexity
    advice: str = ""  # the rule-based advice when the function is over a threshold


@dataclass(frozen=True)
class Hotspots:
    """The worst hotspots of one window, worst first (ties by path, then line)."""

    head: str | None
    days: int  # 0: the whole history
    since: int | None  # the window's start, seconds since the epoch (None: the whole history)
    commits: int  # the window's commits that changed a Python file
    rows: tuple[Hotspot, ...] = ()
    cached: bool = False  # the history came from the cache, not from git log
    shallow: bool = False


def window_start(days: int, now: float) -> int | None:
    """Midnight UTC ``days`` days ago, so that every run of a day shares one window (and cache)."""
    return (int(now) // DAY - days) * DAY if days else None


def read_history(repo: Repository, since: int | None, cache: Path | None, warn: Warn) -> tuple[History, bool]:
    """The window's history in HEAD's line numbers, from the cache or from one git log."""
    if repo.head is None:
        return History((), {}), False
    key = history_key(repo.head, since)
    path = history_file(cache, key) if cache is not None else None
    stored = load(path, key, warn) if path is not None else None
    if stored is not None:
        return stored, True
    patches = list(log_patches(repo, since))
    history = replay(patches, merge_patches(repo, merge_pairs(patches)))
    if path is not None:
        save(path, key, history, warn)
    return history, False


class _Today(NamedTuple):
    """A file of the work tree: the name its history is kept under at HEAD, and HEAD's line
    numbers -> today's (None when the file is unchanged since HEAD)."""

    head: str | None
    lines: LineMap | None = None


def work_tree(repo: Repository) -> dict[str, _Today]:
    """The files the work tree changed since HEAD, by today's name (relative to the top)."""
    found: dict[str, _Today] = {}
    for patch in worktree_patches(repo):
        if patch.new is not None:  # created (no history), or changed, perhaps renamed
            lines = LineMap.identity().before(patch.hunks) if patch.old is not None else None
            found[patch.new] = _Today(patch.old, lines)
    return found


def _moved(touches: Iterable[Touch], lines: LineMap) -> tuple[Touch, ...]:
    """Touches in HEAD's line numbers -> today's; the lines the work tree deleted drop out."""
    moved = []
    for touch in touches:
        ranges = merged(r for first, last in touch.ranges for r in lines.ranges(first, last))
        gaps = tuple(g for g in (lines.line(gap) for gap in touch.gaps) if g is not None)
        if ranges or gaps:
            moved.append(Touch(touch.commit, ranges, gaps))
    return tuple(moved)


class _Files:
    """Each measured file's touches, found by its real path or, for a name git and the report
    spell differently (bytes that are not UTF-8), by the report's spelling."""

    def __init__(self, repo: Repository, history: History) -> None:
        self.top = str(repo.top)
        self.history = history
        self.today = work_tree(repo) if history.files else {}
        self._spelled: dict[str, str] | None = None

    def touches(self, path: str) -> tuple[Touch, ...]:
        name = self._name(path)
        if name is None:
            return ()
        today = self.today.get(name, _Today(name))
        found = self.history.files.get(today.head, ()) if today.head is not None else ()
        return _moved(found, today.lines) if today.lines is not None and found else found

    def _name(self, path: str) -> str | None:
        real = os.path.realpath(path)
        if real.startswith(self.top + os.sep):
            name = real[len(self.top) + 1 :].replace(os.sep, "/")
            if name in self.history.files or name in self.today:
                return name
        return self._by_spelling().get(path)

    def _by_spelling(self) -> dict[str, str]:
        if self._spelled is None:
            names = [*self.history.files, *self.today]
            self._spelled = {display_path(Path(self.top, name)): name for name in names}
        return self._spelled


def _function_row(file: FileMetrics, func: FunctionMetrics, touches: Sequence[Touch],
                  history: History) -> Hotspot | None:  # fmt: skip
    first, last = func.first_lineno or func.lineno, func.end_lineno
    hits = {t.commit for t in touches if t.hits(first, last)}
    score = len(hits) * func.cognitive_complexity
    if not score:
        return None
    commits = [history.commits[index] for index in hits]
    return Hotspot(file.path, func.id, func.lineno, func.end_lineno, len(hits),
                   len({c.author for c in commits}), max(c.time for c in commits),
                   func.cognitive_complexity, score)  # fmt: skip


def rank(files: Iterable[FileMetrics], touches: Callable[[str], tuple[Touch, ...]],
         history: History, top: int) -> list[Hotspot]:  # fmt: skip
    """The ``top`` functions with the highest score, worst first, ties by path then line."""
    rows = []
    for file in files:
        found = touches(file.path)
        if found:
            rows += [row for func in file.functions if (row := _function_row(file, func, found, history))]
    rows.sort(key=lambda r: (-r.score, r.path, r.line, r.function))
    return rows[:top]


def _advised(rows: Sequence[Hotspot], result: GateResult) -> tuple[Hotspot, ...]:
    """Each hotspot with the short rule-based advice of its worst violation (cognitive first)."""
    if not result.violations:
        return tuple(rows)
    from qualitygate.suggestions.rules import brief_advice

    violations: dict[tuple[str, str, int], list[Violation]] = {}
    for v in result.violations:
        violations.setdefault((v.path, v.symbol, v.line), []).append(v)
    functions = {(f.path, fn.id, fn.lineno): fn for f in result.files for fn in f.functions}
    advised = []
    for row in rows:
        found = violations.get((row.path, row.function, row.line))
        if found:
            worst = max(found, key=lambda v: (v.metric is Metric.COGNITIVE, v.excess))
            row = row._replace(advice=brief_advice(worst, functions[(row.path, row.function, row.line)]))
        advised.append(row)
    return tuple(advised)


class Window(NamedTuple):
    """Which history to read and how many hotspots to keep."""

    days: int = DEFAULT_DAYS  # 0: the whole history
    top: int = DEFAULT_TOP
    now: float | None = None  # None: the clock


def find_hotspots(result: GateResult, repo: Repository, window: Window, cache: Path | None,
                  warn: Warn) -> Hotspots:  # fmt: skip
    """The worst hotspots of ``result``'s functions over the window, with advice."""
    since = window_start(window.days, time.time() if window.now is None else window.now)
    history, cached = read_history(repo, since, cache, warn)
    files = _Files(repo, history)
    rows = _advised(rank(result.files, files.touches, history, window.top), result)
    return Hotspots(repo.head, window.days, since, len(history.commits), rows, cached, repo.shallow)
