"""The read side of the metrics history: runs, trends, one file's points, worsened functions."""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualitygate.store.history import RUN_COLUMNS, SECONDS_PER_DAY, connect


@dataclass(frozen=True)
class RunSummary:
    """One recorded check."""

    id: int
    created_at: float
    commit: str | None
    branch: str | None
    version: str
    passed: bool
    files: int
    functions: int
    violations: int
    warnings: int
    errors: int
    sloc: int
    maintainability_index: float
    cyclomatic_complexity: float
    cognitive_complexity: float


# The per-run numbers a trend is drawn for: (RunSummary field, label, True if higher is better).
TREND_METRICS: tuple[tuple[str, str, bool | None], ...] = (
    ("maintainability_index", "average maintainability index (files)", True),
    ("cyclomatic_complexity", "average cyclomatic complexity (functions)", False),
    ("cognitive_complexity", "average cognitive complexity (functions)", False),
    ("violations", "failing violations", False),
    ("errors", "files not analysed", False),
    ("files", "files", None),
    ("functions", "functions", None),
    ("sloc", "source lines", None),
)


@dataclass(frozen=True)
class Trend:
    """One metric from the first run in the window to the last."""

    metric: str
    label: str
    first: float
    last: float
    higher_is_better: bool | None

    @property
    def change(self) -> float:
        """Last minus first."""
        return round(self.last - self.first, 2)

    @property
    def direction(self) -> str:
        """better, worse, unchanged, or changed (for counts that are neither good nor bad)."""
        if self.change == 0:
            return "unchanged"
        if self.higher_is_better is None:
            return "changed"
        return "better" if (self.change > 0) == self.higher_is_better else "worse"


@dataclass(frozen=True)
class FilePoint:
    """One file's metrics in one run."""

    run: int
    created_at: float
    commit: str | None
    maintainability_index: float
    cyclomatic_complexity: int
    sloc: int
    functions: int


@dataclass(frozen=True)
class FunctionChange:
    """A function whose complexity grew between the first and the last run of the window."""

    path: str
    qualname: str  # the function's id: ``#n`` tells the n-th def of a qualname (issue 12)
    lineno: int
    cognitive_before: int
    cognitive_after: int
    cyclomatic_before: int
    cyclomatic_after: int
    maintainability_before: float
    maintainability_after: float

    @property
    def worsening(self) -> int:
        """How much harder to read and test it became: the growth of both complexities."""
        return (self.cognitive_after - self.cognitive_before) + (
            self.cyclomatic_after - self.cyclomatic_before
        )


@dataclass(frozen=True)
class HistoryView:
    """What ``qualitygate history`` and the HTML report show."""

    database: str
    days: int | None
    runs: tuple[RunSummary, ...]
    trends: tuple[Trend, ...]
    path: str | None = None
    file_points: tuple[FilePoint, ...] = ()
    worsened: tuple[FunctionChange, ...] = ()


# The last second a date can show (9999-12-31): a run stamped later, or with text where the time
# belongs (a hand-edited database; SQLite sorts text after every number), is left out of every
# view instead of failing it (issue 12).
LATEST = 253402300799.0


def _since(days: int | None, now: float) -> float:
    return now - days * SECONDS_PER_DAY if days else float("-inf")


def list_runs(con: sqlite3.Connection, since: float) -> tuple[RunSummary, ...]:
    """Runs at or after ``since``, oldest first."""
    rows = con.execute(
        f"SELECT id, {', '.join(RUN_COLUMNS)} FROM runs WHERE created_at BETWEEN ? AND ? "
        "ORDER BY created_at, id",
        (since, LATEST),
    ).fetchall()
    return tuple(
        RunSummary(row[0], row[1], row[2], row[3], row[4], bool(row[5]), *row[6:]) for row in rows
    )


def trends(runs: Sequence[RunSummary]) -> tuple[Trend, ...]:
    """Each trend metric from the first run to the last; empty with fewer than one run."""
    if not runs:
        return ()
    first, last = runs[0], runs[-1]
    return tuple(
        Trend(name, label, float(getattr(first, name)), float(getattr(last, name)), better)
        for name, label, better in TREND_METRICS
    )


def file_points(con: sqlite3.Connection, path: str, since: float) -> tuple[FilePoint, ...]:
    """One file (root-relative path) across the runs that saw it."""
    rows = con.execute(
        """SELECT r.id, r.created_at, r.commit_sha, s.maintainability_index,
                  s.cyclomatic_complexity, s.sloc, s.functions
           FROM runs r JOIN run_files rf ON rf.run = r.id JOIN file_states s ON s.id = rf.file_state
           WHERE s.path = ? AND r.created_at BETWEEN ? AND ? ORDER BY r.created_at, r.id""",
        (path, since, LATEST),
    ).fetchall()
    return tuple(FilePoint(*row) for row in rows)


def file_series(con: sqlite3.Connection, since: float) -> dict[str, list[tuple[int, float]]]:
    """Every file's maintainability index per run: ``{path: [(run, mi), ...]}``."""
    series: dict[str, list[tuple[int, float]]] = {}
    for path, run, value in con.execute(
        """SELECT s.path, r.id, s.maintainability_index
           FROM runs r JOIN run_files rf ON rf.run = r.id JOIN file_states s ON s.id = rf.file_state
           WHERE r.created_at BETWEEN ? AND ? ORDER BY r.created_at, r.id""",
        (since, LATEST),
    ):
        series.setdefault(path, []).append((run, value))
    return series


_FUNCTIONS_OF_RUN = """
    SELECT s.path, coalesce(f.function_id, f.qualname), f.lineno, f.cognitive_complexity, f.cyclomatic_complexity,
           f.maintainability_index
    FROM run_files rf JOIN file_states s ON s.id = rf.file_state
    JOIN function_states f ON f.file_state = s.id
    WHERE rf.run = ? AND rf.file_state NOT IN (SELECT file_state FROM run_files WHERE run = ?)
"""


def _functions(con: sqlite3.Connection, run: int, other: int) -> dict[tuple[str, str], tuple[int, int, int, float]]:
    """Functions of ``run`` in files whose state differs in ``other`` (the rest cannot have changed)."""
    found: dict[tuple[str, str], tuple[int, int, int, float]] = {}
    for path, qualname, lineno, cognitive, cyclomatic, mi in con.execute(_FUNCTIONS_OF_RUN, (run, other)):
        # Runs recorded before function ids name a getter and its setter alike: keep the harder.
        current = found.get((path, qualname))
        if current is None or (cognitive, cyclomatic) > current[1:3]:
            found[(path, qualname)] = (lineno, cognitive, cyclomatic, mi)
    return found


def worsened_functions(con: sqlite3.Connection, first: int, last: int, top: int) -> tuple[FunctionChange, ...]:
    """Functions present in both runs whose complexity grew, most grown first."""
    before = _functions(con, first, last)
    after = _functions(con, last, first)
    changes = [
        FunctionChange(path, qualname, new[0], old[1], new[1], old[2], new[2], old[3], new[3])
        for (path, qualname), new in after.items()
        if (old := before.get((path, qualname))) is not None
    ]
    grown = [c for c in changes if c.worsening > 0]
    grown.sort(key=lambda c: (-c.worsening, -(c.cognitive_after - c.cognitive_before), c.path, c.qualname))
    return tuple(grown[:top])


def load_history(
    path: Path,
    days: int | None,
    *,
    file: str | None = None,
    top: int = 10,
    now: float | None = None,
) -> HistoryView:
    """Runs, trends, one file's points (``file``: root-relative) and the most-worsened functions."""
    since = _since(days, time.time() if now is None else now)
    with connect(path, create=False) as con:
        runs = list_runs(con, since)
        points = file_points(con, file, since) if file else ()
        worse = worsened_functions(con, runs[0].id, runs[-1].id, top) if len(runs) > 1 else ()
    return HistoryView(str(path), days, runs, trends(runs), file, points, worse)


def load_file_series(path: Path, days: int | None, now: float | None = None) -> dict[str, list[tuple[int, float]]]:
    """``file_series`` for the report; an absent database is an empty history."""
    if not path.is_file():
        return {}
    with connect(path, create=False) as con:
        return file_series(con, _since(days, time.time() if now is None else now))
