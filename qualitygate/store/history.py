"""Metrics history: the SQLite schema, its migrations, and each check recorded (issue 5).

Storage is content-addressed, as git stores trees: a file's metrics are stored once per distinct
state (``file_states``, keyed by a digest of the metrics), and a run only points at the states it
saw (``run_files``). A hundred runs over an unchanged project cost a hundred small rows per file,
not a hundred copies of every function. Violations are shared between runs the same way.
The read side (runs, trends, worsened functions) is ``history_query``.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from qualitygate import __version__
from qualitygate.errors import QualityGateError
from qualitygate.models import FileMetrics, GateResult, Violation
from qualitygate.paths import root_relative

BUSY_TIMEOUT_S = 60.0  # parallel CI jobs queue for the write lock rather than fail
SECONDS_PER_DAY = 86400

SCHEMA_V1: tuple[str, ...] = (
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,            -- Unix time, UTC
        commit_sha TEXT,
        branch TEXT,
        tool_version TEXT NOT NULL,
        passed INTEGER NOT NULL,
        files INTEGER NOT NULL,
        functions INTEGER NOT NULL,
        violations INTEGER NOT NULL,
        warnings INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        sloc INTEGER NOT NULL,
        maintainability_index REAL NOT NULL,  -- average over files
        cyclomatic_complexity REAL NOT NULL,  -- average over functions
        cognitive_complexity REAL NOT NULL    -- average over functions
    )""",
    "CREATE INDEX runs_by_time ON runs (created_at)",
    """CREATE TABLE file_states (
        id INTEGER PRIMARY KEY,
        digest BLOB NOT NULL UNIQUE,
        path TEXT NOT NULL,                   -- relative to the project root
        loc INTEGER NOT NULL,
        sloc INTEGER NOT NULL,
        cyclomatic_complexity INTEGER NOT NULL,
        maintainability_index REAL NOT NULL,
        halstead_volume REAL NOT NULL,
        functions INTEGER NOT NULL
    )""",
    "CREATE INDEX file_states_by_path ON file_states (path)",
    """CREATE TABLE function_states (
        file_state INTEGER NOT NULL REFERENCES file_states (id),
        qualname TEXT NOT NULL,
        lineno INTEGER NOT NULL,
        end_lineno INTEGER NOT NULL,
        cyclomatic_complexity INTEGER NOT NULL,
        cognitive_complexity INTEGER NOT NULL,
        maintainability_index REAL NOT NULL,
        halstead_volume REAL NOT NULL,
        length INTEGER NOT NULL,
        parameters INTEGER NOT NULL,
        max_nesting INTEGER NOT NULL
    )""",
    "CREATE INDEX function_states_by_file ON function_states (file_state)",
    """CREATE TABLE run_files (
        run INTEGER NOT NULL REFERENCES runs (id),
        file_state INTEGER NOT NULL REFERENCES file_states (id),
        PRIMARY KEY (run, file_state)
    ) WITHOUT ROWID""",
    """CREATE TABLE violation_states (
        id INTEGER PRIMARY KEY,
        digest BLOB NOT NULL UNIQUE,
        rule TEXT NOT NULL,
        metric TEXT NOT NULL,
        path TEXT NOT NULL,
        line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        symbol TEXT NOT NULL,
        value REAL NOT NULL,
        threshold REAL NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL
    )""",
    """CREATE TABLE run_violations (
        run INTEGER NOT NULL REFERENCES runs (id),
        violation INTEGER NOT NULL REFERENCES violation_states (id),
        PRIMARY KEY (run, violation)
    ) WITHOUT ROWID""",
    """CREATE TABLE run_errors (
        run INTEGER NOT NULL REFERENCES runs (id),
        path TEXT NOT NULL,
        line INTEGER,
        message TEXT NOT NULL
    )""",
    "CREATE INDEX run_errors_by_run ON run_errors (run)",
)

# Version 2: each function's id (its qualname, ``#n`` for the n-th def sharing it: issue 12).
# Rows recorded before it hold NULL, read back as the qualname.
SCHEMA_V2: tuple[str, ...] = ("ALTER TABLE function_states ADD COLUMN function_id TEXT",)

# MIGRATIONS[n] takes a database from ``PRAGMA user_version`` n to n + 1. Append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (SCHEMA_V1, SCHEMA_V2)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(QualityGateError):
    """The history database cannot be opened, read or written."""


# ---------------------------------------------------------------------------------------------
# Connecting and migrating


def database_path(root: Path, configured: str) -> Path:
    """``history_db`` is relative to the project root unless absolute."""
    path = Path(configured).expanduser()
    return path if path.is_absolute() else root / path


def check_files(path: Path) -> None:
    """Refuse a database or journal that is not a regular file before SQLite opens it (issue 12):
    each is only stat-ed, never opened, so a FIFO there (which SQLite would wait on) cannot block."""
    for name in (f"{path}{suffix}" for suffix in ("", "-journal", "-wal", "-shm")):
        try:
            mode = os.stat(name).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise HistoryError(f"{name}: cannot open the history database: {exc.strerror or exc}") from None
        if not stat.S_ISREG(mode):
            raise HistoryError(f"{name}: not a regular file (a directory, FIFO, device or socket); "
                               "history_db must name a SQLite database file")  # fmt: skip


@contextmanager
def connect(path: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    """An open, migrated connection in autocommit mode (transactions are explicit)."""
    if not create and not os.path.exists(path):
        raise HistoryError(f"{path}: no history recorded yet (set track_history = true, then run check)")
    check_files(path)
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(f"{path}: cannot open the history database: {exc}") from None
    try:
        _prepare(con, path)
        yield con
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: history database error: {exc}") from None
    finally:
        con.close()


def _prepare(con: sqlite3.Connection, path: Path) -> None:
    # WAL lets readers run while one writer writes; NORMAL sync is durable at each checkpoint.
    _with_retry(lambda: con.execute("PRAGMA journal_mode = WAL").fetchone())
    con.execute("PRAGMA synchronous = NORMAL")
    if _user_version(con) != SCHEMA_VERSION:
        with transaction(con):
            _migrate(con, path)


def _with_retry(action: Callable[[], object], attempts: int = 100) -> None:
    """Switching to WAL takes an exclusive lock and may report "locked" without waiting."""
    for attempt in range(attempts):
        try:
            action()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.02 + 0.01 * attempt)


def _user_version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def _migrate(con: sqlite3.Connection, path: Path) -> None:
    """Apply every migration this database lacks, inside the caller's write transaction."""
    version = _user_version(con)  # read again under the lock: another process may have migrated
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"{path}: written by a newer qualitygate (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); upgrade qualitygate or point history_db elsewhere"
        )
    for number in range(version, SCHEMA_VERSION):
        for statement in MIGRATIONS[number]:
            con.execute(statement)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def transaction(con: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE``: take the write lock up front, so two writers queue, never deadlock."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


# ---------------------------------------------------------------------------------------------
# Recording


@dataclass(frozen=True)
class RunInfo:
    """Where and when a run happened."""

    created_at: float
    commit: str | None = None
    branch: str | None = None
    version: str = __version__


def git_info(root: Path, environ: dict[str, str] | None = None) -> tuple[str | None, str | None]:
    """The commit and branch of ``root``; CI variables name the branch of a detached checkout."""
    environ = dict(os.environ) if environ is None else environ
    commit = branch = None
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD", "--abbrev-ref", "HEAD"],
            cwd=root, capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        lines = done.stdout.split()
        if done.returncode == 0 and len(lines) == 2:
            commit, branch = lines
    except (OSError, subprocess.SubprocessError):
        pass
    if branch in (None, "HEAD"):
        names = ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "BRANCH_NAME")
        branch = next((environ[name] for name in names if environ.get(name)), None)
    return commit, branch


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


Row = tuple[object, ...]
FileRow = tuple[bytes, Row, list[Row]]  # digest, file_states columns, function_states rows


def _file_rows(files: Iterable[FileMetrics], root: Path) -> list[FileRow]:
    rows: list[FileRow] = []
    for file in files:
        file = replace(file, path=root_relative(file.path, root))
        # repr covers every field, including ones added later, so a new field means a new state.
        state: Row = (
            file.path, file.raw.loc, file.raw.sloc, file.cyclomatic_complexity,
            file.maintainability_index, file.halstead.volume, len(file.functions),
        )  # fmt: skip
        functions: list[Row] = [
            (f.qualname, f.lineno, f.end_lineno, f.cyclomatic_complexity, f.cognitive_complexity,
             f.maintainability_index, f.halstead_volume, f.length, f.parameters, f.max_nesting, f.id)
            for f in file.functions
        ]  # fmt: skip
        rows.append((_digest(repr(file)), state, functions))
    return rows


def _violation_rows(violations: Iterable[Violation], root: Path) -> list[Row]:
    rows: list[Row] = []
    for v in violations:
        row = (v.rule, v.metric.value, root_relative(v.path, root), v.line, v.end_line, v.symbol,
               v.value, v.threshold, v.severity.value, v.message)  # fmt: skip
        rows.append((_digest(repr(row)), *row))
    return rows


def _run_row(result: GateResult, info: RunInfo) -> tuple[object, ...]:
    summary = result.summary
    functions = [f for file in result.files for f in file.functions]
    cognitive = sum(f.cognitive_complexity for f in functions) / len(functions) if functions else 0.0
    return (
        info.created_at, info.commit, info.branch, info.version, int(result.passed),
        summary.files, summary.functions, summary.violations, summary.warnings, summary.errors,
        sum(file.raw.sloc for file in result.files), summary.average_maintainability_index,
        summary.average_cyclomatic_complexity, round(cognitive, 2),
    )  # fmt: skip


def record_run(
    path: Path, result: GateResult, root: Path, info: RunInfo, retention_days: int = 30
) -> int:
    """Record one check in one transaction, prune old runs, and return the new run's id."""
    run_row = _run_row(result, info)
    files = _file_rows(result.files, root)
    violations = _violation_rows(result.violations, root)
    errors = [(root_relative(e.path, root), e.line, e.message) for e in result.errors]
    with connect(path, create=True) as con, transaction(con):
        run = _insert(con, "runs", RUN_COLUMNS, run_row)
        _insert_files(con, run, files)
        _insert_violations(con, run, violations)
        con.executemany("INSERT INTO run_errors VALUES (?, ?, ?, ?)", [(run, *e) for e in errors])
        if retention_days:
            prune(con, info.created_at - retention_days * SECONDS_PER_DAY)
    return run


RUN_COLUMNS = (
    "created_at", "commit_sha", "branch", "tool_version", "passed", "files", "functions",
    "violations", "warnings", "errors", "sloc", "maintainability_index", "cyclomatic_complexity",
    "cognitive_complexity",
)  # fmt: skip
_FILE_COLUMNS = ("digest", "path", "loc", "sloc", "cyclomatic_complexity",
                 "maintainability_index", "halstead_volume", "functions")  # fmt: skip
_VIOLATION_COLUMNS = ("digest", "rule", "metric", "path", "line", "end_line", "symbol", "value",
                      "threshold", "severity", "message")  # fmt: skip


def _insert(con: sqlite3.Connection, table: str, columns: Sequence[str], row: Sequence[object]) -> int:
    marks = ", ".join("?" * len(columns))
    cursor = con.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", row)
    return int(cursor.lastrowid or 0)


def _state_id(con: sqlite3.Connection, table: str, columns: Sequence[str], row: Sequence[object]) -> tuple[int, bool]:
    """The id of the state with this digest (row[0]), inserting it if new; True when inserted."""
    found = con.execute(f"SELECT id FROM {table} WHERE digest = ?", (row[0],)).fetchone()
    if found:
        return int(found[0]), False
    return _insert(con, table, columns, row), True


def _insert_files(con: sqlite3.Connection, run: int, files: Sequence[FileRow]) -> None:
    links = []
    for digest, state, functions in files:
        state_id, new = _state_id(con, "file_states", _FILE_COLUMNS, (digest, *state))
        if new:
            con.executemany(
                "INSERT INTO function_states VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(state_id, *f) for f in functions],
            )
        links.append((run, state_id))
    con.executemany("INSERT OR IGNORE INTO run_files VALUES (?, ?)", links)


def _insert_violations(con: sqlite3.Connection, run: int, rows: Sequence[tuple[object, ...]]) -> None:
    links = [(run, _state_id(con, "violation_states", _VIOLATION_COLUMNS, row)[0]) for row in rows]
    con.executemany("INSERT OR IGNORE INTO run_violations VALUES (?, ?)", links)


def prune(con: sqlite3.Connection, cutoff: float) -> int:
    """Delete runs older than ``cutoff`` and every state no remaining run points at."""
    removed = con.execute("DELETE FROM runs WHERE created_at < ?", (cutoff,)).rowcount
    if removed:
        for statement in (
            "DELETE FROM run_files WHERE run NOT IN (SELECT id FROM runs)",
            "DELETE FROM run_violations WHERE run NOT IN (SELECT id FROM runs)",
            "DELETE FROM run_errors WHERE run NOT IN (SELECT id FROM runs)",
            "DELETE FROM file_states WHERE id NOT IN (SELECT file_state FROM run_files)",
            "DELETE FROM function_states WHERE file_state NOT IN (SELECT id FROM file_states)",
            "DELETE FROM violation_states WHERE id NOT IN (SELECT violation FROM run_violations)",
        ):
            con.execute(statement)
    return int(removed)


def record_check(root: Path, configured: str, retention_days: int, result: GateResult) -> str | None:
    """Record a check made now, with the git commit and branch; a failure is returned as a warning."""
    commit, branch = git_info(root)
    info = RunInfo(time.time(), commit, branch)
    try:
        record_run(database_path(root, configured), result, root, info, retention_days)
    except HistoryError as exc:
        return f"history not recorded: {exc}"
    return None
