"""Metrics history: runs recorded in SQLite, concurrent writers, retention, trends, migrations."""
from __future__ import annotations

import json
import multiprocessing
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from qualitygate.config import load_settings
from qualitygate.models import GateResult
from qualitygate.pipeline import gate, measure
from qualitygate.store.cache import ENV_VAR
from qualitygate.store.history import (
    SCHEMA_V1,
    SCHEMA_VERSION,
    SECONDS_PER_DAY,
    RunInfo,
    connect,
    record_run,
)
from qualitygate.store.history_query import load_history

from .gitrepo import branchy, nested

TRACK = "[tool.qualitygate]\ntrack_history = true\nmaintainability_threshold = 0\n"
NOW = 1_800_000_000.0


@pytest.fixture(autouse=True)
def _no_shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def db_of(root: Path) -> Path:
    return root / ".qualitygate" / "history.db"


def rows(db: Path, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def result_of(root: Path) -> GateResult:
    """A real measured result of the project at ``root``."""
    settings = load_settings(start=root)
    files, errors = measure(settings, [root], sys.stderr, use_cache=False)
    return gate(settings, files, errors)


def test_check_records_a_run_with_commit_branch_and_verdict(repo, cli) -> None:
    repo.write({"pyproject.toml": TRACK, "a.py": branchy("f", 12), "b.py": nested("g", 2)}).commit()
    head = repo.git("rev-parse", "HEAD").strip()
    assert cli("check", cwd=repo.root).code == 1
    listed = cli("history", "-f", "json", cwd=repo.root)
    assert listed.code == 0
    (run,) = listed.json()["runs"]
    assert (run["commit"], run["branch"], run["passed"]) == (head, "main", False)
    assert (run["files"], run["functions"], run["violations"]) == (2, 2, 1)
    db = db_of(repo.root)
    assert rows(db, "PRAGMA journal_mode") == [("wal",)]
    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert sorted(rows(db, "SELECT path, cyclomatic_complexity FROM file_states")) == [("a.py", 13), ("b.py", 3)]
    assert rows(db, "SELECT qualname, cognitive_complexity FROM function_states ORDER BY qualname") == [("f", 12), ("g", 3)]
    assert rows(db, "SELECT rule, symbol, value FROM violation_states") == [("QG001", "f", 13)]


def test_history_is_off_by_default(project, cli) -> None:
    root = project({"a.py": "x = 1\n"})
    cli("check", cwd=root)
    assert not (root / ".qualitygate").exists()
    missing = cli("history", cwd=root)
    assert missing.code == 2 and "no history recorded yet" in missing.err


def test_unchanged_files_are_stored_once(project, cli) -> None:
    root = project({"pyproject.toml": TRACK, "a.py": branchy("f", 3), "b.py": nested("g", 2)})
    for _ in range(3):
        cli("check", cwd=root)
    (root / "b.py").write_text(nested("g", 3))
    cli("check", cwd=root)
    db = db_of(root)
    assert rows(db, "SELECT count(*) FROM runs") == [(4,)]
    assert rows(db, "SELECT count(*) FROM run_files") == [(8,)]
    assert rows(db, "SELECT count(*) FROM file_states") == [(3,)]  # a.py once, b.py twice
    assert rows(db, "SELECT count(*) FROM function_states") == [(3,)]


def _record_at_once(db: str, root: str, barrier, index: int, result: GateResult) -> None:  # type: ignore[no-untyped-def]
    barrier.wait()  # every writer starts together, so they really contend for the lock
    record_run(Path(db), result, Path(root), RunInfo(NOW + index, f"c{index}", "ci"), retention_days=0)


def test_six_concurrent_writers_are_all_recorded(project) -> None:
    root = project({"pyproject.toml": TRACK, **{f"m{i}.py": branchy(f"f{i}", i) for i in range(30)}})
    result = result_of(root)
    db = db_of(root)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(6)
    workers = [
        context.Process(target=_record_at_once, args=(str(db), str(root), barrier, i, result))
        for i in range(6)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * 6
    assert sorted(rows(db, "SELECT commit_sha FROM runs")) == [(f"c{i}",) for i in range(6)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "SELECT count(*) FROM run_files") == [(6 * 30,)]
    assert rows(db, "SELECT count(*) FROM file_states") == [(30,)]


def test_six_concurrent_cli_checks_are_all_recorded(project, tmp_path: Path) -> None:
    """The same through the real command: six ``qualitygate check`` processes at once."""
    import os
    import subprocess

    root = project({"pyproject.toml": TRACK, **{f"m{i}.py": branchy(f"f{i}", i) for i in range(12)}})
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop(ENV_VAR, None)
    procs = [
        subprocess.Popen([sys.executable, "-m", "qualitygate", "check", "--no-cache", "-j", "1"],
                         cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]  # fmt: skip
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [p.returncode for p in procs] == [1] * 6
    assert not any("warning" in e for e in errors), errors
    assert rows(db_of(root), "SELECT count(*) FROM runs") == [(6,)]
    assert rows(db_of(root), "PRAGMA integrity_check") == [("ok",)]


def test_retention_prunes_old_runs_and_their_orphans(project) -> None:
    root = project({"pyproject.toml": TRACK, "a.py": branchy("f", 3)})
    db = db_of(root)
    old = result_of(root)
    record_run(db, old, root, RunInfo(NOW - 40 * SECONDS_PER_DAY), retention_days=30)
    (root / "a.py").write_text(branchy("f", 12))
    middle = result_of(root)
    record_run(db, middle, root, RunInfo(NOW - 20 * SECONDS_PER_DAY), retention_days=30)
    assert rows(db, "SELECT count(*) FROM runs") == [(2,)]  # 40 days before the 20-day run: kept
    record_run(db, middle, root, RunInfo(NOW), retention_days=30)
    assert rows(db, "SELECT created_at FROM runs ORDER BY id") == [(NOW - 20 * SECONDS_PER_DAY,), (NOW,)]
    # The 40-day-old state of a.py and its function and violation-free run are gone with it.
    assert rows(db, "SELECT count(*) FROM file_states") == [(1,)]
    assert rows(db, "SELECT cyclomatic_complexity FROM function_states") == [(13,)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    record_run(db, middle, root, RunInfo(NOW + 400 * SECONDS_PER_DAY), retention_days=0)  # 0 keeps all
    assert rows(db, "SELECT count(*) FROM runs") == [(3,)]


def test_trends_file_points_and_most_worsened_functions(project, cli) -> None:
    root = project({"pyproject.toml": TRACK, "a.py": nested("f", 2) + nested("h", 1), "b.py": nested("g", 1)})
    reported = [cli("check", "-f", "json", cwd=root).json()["files"][0]["cyclomatic_complexity"]]
    (root / "a.py").write_text(nested("f", 4) + nested("h", 1))  # f: cognitive 3 -> 10
    (root / "b.py").write_text(nested("g", 2))  # g: cognitive 1 -> 3
    reported.append(cli("check", "-f", "json", cwd=root).json()["files"][0]["cyclomatic_complexity"])
    view = cli("history", "--path", "a.py", "-f", "json", cwd=root).json()
    assert [run["id"] for run in view["runs"]] == [1, 2]
    trend = {t["metric"]: t for t in view["trends"]}
    assert trend["cognitive_complexity"]["direction"] == "worse"
    assert trend["cognitive_complexity"]["first"] < trend["cognitive_complexity"]["last"]
    assert trend["files"]["direction"] == "unchanged"
    assert [(p["run"], p["cyclomatic_complexity"]) for p in view["file_points"]] == [(1, reported[0]), (2, reported[1])]
    assert reported[1] - reported[0] == 2  # two more ifs in f
    worse = [(c["path"], c["qualname"], c["cognitive_before"], c["cognitive_after"]) for c in view["worsened"]]
    assert worse == [("a.py", "f", 3, 10), ("b.py", "g", 1, 3)]  # h did not change: not listed
    text = cli("history", "--path", "a.py", cwd=root)
    assert "a.py:1 f: cognitive 3 -> 10" in text.out and "2 runs in the last 30 days" in text.out
    assert cli("history", "--top", "1", "-f", "json", cwd=root).json()["worsened"][0]["qualname"] == "f"


def _pair(getter: int, setter: int) -> str:
    """A property whose getter and setter share the qualname ``P.v``, at these nesting depths."""
    return ("class P:\n" + "    @property\n" + _indented(nested("v", getter)) + "\n"
            + "    @v.setter\n" + _indented(nested("v", setter)))  # fmt: skip


def _indented(code: str) -> str:
    return "".join(f"    {line}\n" if line else "\n" for line in code.splitlines())


def test_a_setter_that_worsens_is_told_from_its_getter(project, cli) -> None:
    """Function ids (issue 12): the setter is ``P.v#2``, so its growth is not hidden behind the
    getter that shares its qualname."""
    root = project({"pyproject.toml": TRACK, "p.py": _pair(4, 1)})
    cli("check", cwd=root)
    (root / "p.py").write_text(_pair(4, 3))  # the setter grows; the getter stays the harder one
    cli("check", cwd=root)
    assert rows(db_of(root), "SELECT DISTINCT function_id FROM function_states ORDER BY 1") == [("P.v",), ("P.v#2",)]
    worse = [(c["qualname"], c["cognitive_before"], c["cognitive_after"])
             for c in cli("history", "-f", "json", cwd=root).json()["worsened"]]  # fmt: skip
    assert worse == [("P.v#2", 1, 6)]  # cognitive of nested(depth): 1, 3, 6, 10 (gitrepo.nested)


def test_a_version_1_database_is_migrated_and_keeps_its_runs(project, cli) -> None:
    root = project({"pyproject.toml": TRACK, "p.py": _pair(4, 1)})
    db = db_of(root)
    db.parent.mkdir()
    con = sqlite3.connect(db)
    con.executescript(";\n".join(SCHEMA_V1) + ";\nPRAGMA user_version = 1;")
    con.execute("INSERT INTO runs VALUES (1, ?, NULL, NULL, 'old', 1, 0, 0, 0, 0, 0, 0, 100, 0, 0)", (time.time(),))
    con.commit()
    con.close()
    assert cli("check", cwd=root).code == 0
    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)] and SCHEMA_VERSION >= 2
    assert rows(db, "SELECT count(*) FROM runs") == [(2,)]
    assert rows(db, "SELECT function_id FROM function_states ORDER BY lineno") == [("P.v",), ("P.v#2",)]


def test_paths_are_stored_relative_to_the_project_root(project, cli) -> None:
    root = project({"pyproject.toml": TRACK, "pkg/a.py": nested("f", 2)})
    cli("check", cwd=root)
    cli("check", ".", cwd=root / "pkg")
    assert rows(db_of(root), "SELECT DISTINCT path FROM file_states") == [("pkg/a.py",)]
    view = cli("history", "--path", "a.py", "-f", "json", cwd=root / "pkg").json()
    assert len(view["file_points"]) == 2


def test_days_window(project) -> None:
    root = project({"pyproject.toml": TRACK, "a.py": "x = 1\n"})
    result = result_of(root)
    for age in (10, 5, 0):
        record_run(db_of(root), result, root, RunInfo(NOW - age * SECONDS_PER_DAY), retention_days=0)
    assert len(load_history(db_of(root), 7, now=NOW).runs) == 2
    assert len(load_history(db_of(root), None, now=NOW).runs) == 3


def test_a_database_from_a_newer_version_is_left_alone(project, cli) -> None:
    root = project({"pyproject.toml": TRACK, "a.py": "x = 1\n"})
    db = db_of(root)
    db.parent.mkdir()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    result = cli("check", cwd=root)
    assert result.code == 0  # the verdict stands
    assert "history not recorded" in result.err and "newer qualitygate" in result.err
    listed = cli("history", cwd=root)
    assert listed.code == 2 and "newer qualitygate" in listed.err
    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]


def test_a_corrupt_database_is_a_warning_for_check_and_an_error_for_history(project, cli) -> None:
    root = project({"pyproject.toml": TRACK, "a.py": branchy("f", 12)})
    db_of(root).parent.mkdir()
    db_of(root).write_bytes(b"this is not a database" * 100)
    result = cli("check", cwd=root)
    assert result.code == 1 and "history not recorded" in result.err
    listed = cli("history", cwd=root)
    assert listed.code == 2 and "history database" in listed.err and "Traceback" not in listed.err


def test_migration_creates_the_schema_once(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    with connect(db, create=True) as con:
        tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "file_states", "function_states", "run_files", "violation_states"} <= tables
    with connect(db, create=True) as con:  # already current: nothing runs again
        assert con.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_history_db_setting_and_bad_values(project, cli) -> None:
    root = project({"pyproject.toml": TRACK + 'history_db = "metrics/qg.sqlite"\n', "a.py": "x = 1\n"})
    cli("check", cwd=root)
    assert (root / "metrics" / "qg.sqlite").is_file()
    assert cli("history", "-f", "json", cwd=root).json()["runs"][0]["files"] == 1
    (root / "pyproject.toml").write_text(TRACK + "history_retention_days = -1\n")
    bad = cli("check", cwd=root)
    assert bad.code == 2 and "tool.qualitygate.history_retention_days" in bad.err


def test_shard_runs_are_not_recorded_but_their_merge_is(project, cli, tmp_path: Path) -> None:
    root = project({"pyproject.toml": TRACK, "a.py": branchy("f", 2), "b.py": branchy("g", 3)})
    reports = []
    for k in (1, 2):
        cli("check", "--shard", f"{k}/2", "-f", f"json:{tmp_path / f'{k}.json'}", cwd=root)
        reports.append(str(tmp_path / f"{k}.json"))
    assert not db_of(root).exists()
    assert cli("merge", *reports, cwd=root).code == 0
    assert rows(db_of(root), "SELECT files, functions FROM runs") == [(2, 2)]


def test_the_recorded_time_is_now(project, cli) -> None:
    root = project({"pyproject.toml": TRACK, "a.py": "x = 1\n"})
    before = time.time()
    cli("check", cwd=root)
    (created,) = rows(db_of(root), "SELECT created_at FROM runs")[0]
    assert before - 1 <= created <= time.time() + 1
    assert json.loads(cli("history", "-f", "json", cwd=root).out)["runs"][0]["commit"] is None  # no git


@pytest.mark.parametrize("stamp", [1e308, "abc"], ids=["year-beyond-9999", "text"])
def test_a_run_with_an_impossible_time_is_left_out_not_a_crash(project, cli, tmp_path: Path, stamp) -> None:
    """A hand-edited database once made ``history`` and ``report`` exit 3 (issue 12)."""
    root = project({"pyproject.toml": TRACK, "a.py": nested("f", 2)})
    cli("check", cwd=root)
    cli("check", cwd=root)
    with sqlite3.connect(db_of(root)) as con:
        con.execute("UPDATE runs SET created_at = ? WHERE id = 1", (stamp,))
    view = cli("history", "--days", "0", "-f", "json", cwd=root)
    assert view.code == 0 and [run["id"] for run in view.json()["runs"]] == [2]
    assert cli("history", "--days", "0", cwd=root).code == 0
    report = cli("report", "--output-dir", str(tmp_path / "site"), "--days", "0", cwd=root)
    assert report.code == 0 and "Traceback" not in report.err
