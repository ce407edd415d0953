"""The incremental cache: warm runs measure nothing, edits are caught, a broken cache only warns."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qualitygate.config import load_settings, metric_options
from qualitygate.metrics import pool as runner
from qualitygate.models import AnalysisError, FunctionMetrics
from qualitygate.pipeline import measure
from qualitygate.store import cache as metrics_cache
from qualitygate.store.answers import AnswerCache, request_key
from qualitygate.store.buckets import CACHEDIR_TAG, MAX_AGE_DAYS, SECONDS_PER_DAY, bucket_of
from qualitygate.store.cache import (
    DIR_NAME,
    ENV_VAR,
    PACKAGE,
    MetricsCache,
    code_fingerprint,
    key_parts,
)

from .conftest import stdlib_files

PYPROJECT = "[tool.qualitygate]\nmaintainability_threshold = 0\n"
SIMPLE = "def f(x):\n    if x:\n        return 1\n    return 2\n"
BRANCHY = "def g(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12)) + "    return -1\n"
ROW = FunctionMetrics._fields  # a stored function is a row in this order (store/entries.py)

Edit = Callable[[dict[str, Any]], object]


@pytest.fixture(autouse=True)
def _default_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Display paths of the files really measured (not served from the cache), in call order."""
    seen: list[str] = []
    real = runner.measure_all

    def spy(jobs, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend(display for _, display in jobs)
        return real(jobs, *args, **kwargs)

    monkeypatch.setattr(runner, "measure_all", spy)
    return seen


def bucket_files(directory: Path) -> list[Path]:
    """The metrics cache's bucket files under a cache folder."""
    return sorted(directory.glob("metrics-*/??.json"))


def stored(directory: Path) -> dict[str, Any]:
    """Every stored metrics entry under a cache folder, by its key (the file's absolute path)."""
    found: dict[str, Any] = {}
    for bucket in bucket_files(directory):
        found.update(json.loads(bucket.read_bytes())["entries"])
    return found


def locate(directory: Path, suffix: str) -> tuple[Path, str]:
    """The bucket file holding the entry of the file whose path ends in ``suffix``, and its key."""
    ending = os.sep + suffix.replace("/", os.sep)
    found = [(bucket, key) for bucket in bucket_files(directory)
             for key in json.loads(bucket.read_bytes())["entries"] if key.endswith(ending)]  # fmt: skip
    assert len(found) == 1, found
    return found[0]


def edit_entry(directory: Path, suffix: str, change: Edit) -> None:
    """Edit the stored entry of the file ending in ``suffix`` as if the cache had been written that way."""
    bucket, key = locate(directory, suffix)
    document = json.loads(bucket.read_bytes())
    change(document["entries"][key])
    bucket.write_text(json.dumps(document), encoding="utf-8")


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Inode and mtime of every file in a folder: equal before and after when nothing was written."""
    return {file.name: (file.stat().st_ino, file.stat().st_mtime_ns) for file in folder.iterdir()}


def store_folders(directory: Path) -> list[Path]:
    return sorted(folder.parent for folder in directory.glob("metrics-*/key.json"))


def test_warm_run_measures_nothing_and_reports_the_same(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "pkg/b.py": BRANCHY, "pkg/c.py": "x = 1\n"})
    cold = cli("check", "-f", "json", cwd=root)
    assert sorted(measured) == ["a.py", "pkg/b.py", "pkg/c.py"]
    measured.clear()
    warm = cli("check", "-f", "json", cwd=root)
    assert measured == []
    assert (warm.code, warm.out) == (cold.code, cold.out) == (1, cold.out)
    assert cold.json()["violations"][0]["symbol"] == "g"
    uncached = cli("check", "-f", "json", "--no-cache", cwd=root)
    assert uncached.out == cold.out and sorted(measured) == ["a.py", "pkg/b.py", "pkg/c.py"]


def test_a_warm_run_with_nothing_changed_writes_no_cache_file(project, cli) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "b.py": BRANCHY})
    cli("check", cwd=root)  # b.py's violation also stores its breakdown
    [folder] = store_folders(root / DIR_NAME)
    before = stamps(folder)
    assert cli("check", cwd=root).code == 1
    assert stamps(folder) == before


def test_edited_file_is_measured_again_and_only_it(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "b.py": SIMPLE.replace("def f", "def h")})
    assert cli("check", cwd=root).code == 0
    measured.clear()
    (root / "a.py").write_text(SIMPLE + "\n" + BRANCHY, encoding="utf-8")
    result = cli("check", "-f", "json", cwd=root)
    assert measured == ["a.py"]
    assert result.code == 1 and [v["symbol"] for v in result.json()["violations"]] == ["g"]


def test_touched_file_keeps_its_metrics_and_its_new_stamp(project, cli, measured, monkeypatch) -> None:
    hashed: list[str] = []
    real = metrics_cache.file_digest
    monkeypatch.setattr(metrics_cache, "file_digest", lambda path: hashed.append(Path(path).name) or real(path))
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE})
    cli("check", cwd=root)
    measured.clear()
    os.utime(root / "a.py", ns=(1_000_000_000, 1_000_000_000))  # a checkout: same bytes, new mtime
    hashed.clear()
    assert cli("check", cwd=root).code == 0
    assert measured == [] and hashed == ["a.py"]  # the digest matched
    hashed.clear()
    assert cli("check", cwd=root).code == 0
    assert measured == [] and hashed == []  # the new stamp was remembered: nothing to hash


def test_same_size_edit_is_caught_by_the_digest(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": "def f(x):\n    return x + 10\n"})
    cli("check", cwd=root)
    before = (root / "a.py").stat()
    (root / "a.py").write_text("def f(x):\n    return x or 1\n", encoding="utf-8")  # same length
    os.utime(root / "a.py", ns=(before.st_atime_ns, before.st_mtime_ns + 1))
    assert (root / "a.py").stat().st_size == before.st_size
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert measured == ["a.py"]
    assert result.json()["files"][0]["functions"][0]["cyclomatic_complexity"] == 2  # `or` counts


def test_changing_a_threshold_needs_no_measuring(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY})
    assert cli("check", cwd=root).code == 1
    measured.clear()
    assert cli("check", "--complexity-threshold", "13", cwd=root).code == 0
    assert cli("check", "--complexity-threshold", "12", "-f", "json", cwd=root).code == 1
    assert measured == []


def test_metric_options_key_the_cache(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": "import click\n"})
    on = cli("check", "-f", "json", cwd=root).json()
    (root / "pyproject.toml").write_text(PYPROJECT + "enable_dependency_analysis = false\n")
    measured.clear()
    off = cli("check", "-f", "json", cwd=root).json()
    assert measured == ["a.py"]
    assert on["files"][0]["dependencies"]["third_party"] == ["click"]
    assert off["files"][0]["dependencies"]["third_party"] == []
    assert len(store_folders(root / DIR_NAME)) == 2  # one store per key...
    (root / "pyproject.toml").write_text(PYPROJECT)
    measured.clear()
    assert cli("check", "-f", "json", cwd=root).json() == on and measured == []  # ...both kept


def test_a_new_local_module_reclassifies_imports(project, cli, measured) -> None:
    from qualitygate.metrics.dependencies import _is_local

    root = project({"pyproject.toml": PYPROJECT, "a.py": "import helper\nimport os\n", "b.py": "import os\n"})
    first = cli("check", "-f", "json", cwd=root).json()["files"][0]["dependencies"]
    (root / "helper.py").write_text("x = 1\n")
    _is_local.cache_clear()  # the engine memoises per process; a real run is a new process
    measured.clear()
    files = cli("check", "-f", "json", cwd=root).json()["files"]
    again = next(f for f in files if f["path"] == "a.py")["dependencies"]
    assert first["third_party"] == ["helper"] and again["local"] == ["helper"]
    assert sorted(measured) == ["a.py", "helper.py"]  # b.py's imports cannot have changed kind
    (root / "helper.py").unlink()
    _is_local.cache_clear()
    measured.clear()
    files = cli("check", "-f", "json", cwd=root).json()["files"]
    assert files[0]["dependencies"]["third_party"] == ["helper"] and measured == ["a.py"]


def test_syntax_error_is_cached_and_still_fails(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "bad.py": "def (:\n", "ok.py": SIMPLE})
    cold = cli("check", "-f", "json", cwd=root)
    measured.clear()
    warm = cli("check", "-f", "json", cwd=root)
    assert measured == []
    assert warm.code == cold.code == 1
    assert warm.json()["errors"] == cold.json()["errors"] != []


@pytest.mark.parametrize(
    ("message", "cached"),
    [("cannot read file: permission denied", False), ("internal error: RuntimeError: boom", False),
     ("invalid syntax", True)],
    ids=["unreadable", "internal", "syntax"],
)  # fmt: skip
def test_transient_errors_are_not_cached(tmp_path: Path, message: str, cached: bool) -> None:
    """An error that depends on the moment must not outlive its cause; one of the bytes does."""
    source = tmp_path / "a.py"
    source.write_text(SIMPLE)
    options = metric_options(load_settings(start=tmp_path))
    jobs = [(source, "a.py")]
    error = AnalysisError("a.py", None, message)
    first = MetricsCache(tmp_path / "cache", options, pytest.fail)
    assert first.split(jobs) == ([], jobs)
    first.record(jobs, [error])
    first.save()
    hits, misses = MetricsCache(tmp_path / "cache", options, pytest.fail).split(jobs)
    assert (hits, misses) == (([error], []) if cached else ([], jobs))


@pytest.mark.parametrize(
    "content",
    [b"\x00\xffnot json", b'{"format": 99, "entries": {}}', b'{"format": 1, "entries": [1, 2]}', b"[]",
     b"[" * 100_000 + b"]" * 100_000, b'{"format": 1, "entries": {"/x.py": {"size": 1'],
    ids=["garbage", "other-format", "entries-not-an-object", "not-an-object", "deep-nesting", "truncated"],
)  # fmt: skip
def test_corrupt_bucket_is_a_warning_and_counts_as_empty(project, cli, measured, content: bytes) -> None:
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY})
    reference = cli("check", "-f", "json", "--no-cache", cwd=root)
    cli("check", cwd=root)
    locate(root / DIR_NAME, "b.py")[0].write_bytes(content)
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert measured == ["b.py"]
    assert (result.code, result.out) == (reference.code, reference.out)
    assert "qualitygate: warning:" in result.err and "cache" in result.err
    measured.clear()
    assert cli("check", cwd=root).err == "" and measured == []  # rewritten whole


def _metrics(change: Callable[[dict[str, Any]], object]) -> Edit:
    return lambda entry: change(entry["metrics"])


def _row(change: Callable[[list[Any]], object]) -> Edit:
    return lambda entry: change(entry["metrics"]["functions"][0])


def _wrong(where: str, bad: object) -> Edit:
    """Put ``bad`` where the entry holds a metric number."""
    places: dict[str, Edit] = {
        "file": _metrics(lambda m: m.__setitem__("cyclomatic_complexity", bad)),
        "raw": _metrics(lambda m: m["raw"].__setitem__("sloc", bad)),
        "halstead": _metrics(lambda m: m["halstead"].__setitem__("volume", bad)),
        "function": _row(lambda row: row.__setitem__(ROW.index("cognitive_complexity"), bad)),
    }
    return places[where]


@pytest.mark.parametrize("where", ["file", "raw", "halstead", "function"])
@pytest.mark.parametrize("bad", ["high", None, True, [3], {"cc": 3}, 10**400, float("nan"), float("inf")], ids=repr)
def test_entry_with_a_metric_of_the_wrong_type_is_measured_again(project, cli, measured, where, bad) -> None:
    """A well-shaped entry whose number is a string, null, bool, list, object or beyond a float
    must not reach the gate, nor a NaN (it would fail no threshold) or an infinity (issue 12, item 14)."""
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY})
    _assert_measured_again(cli, measured, root, "b.py", _wrong(where, bad))


SHAPES: dict[str, tuple[str, Edit]] = {
    "row-too-short": ("b.py", _row(lambda row: row.pop())),
    "row-too-long": ("b.py", _row(lambda row: row.append(0))),
    "row-not-a-list": ("b.py", _metrics(lambda m: m["functions"].__setitem__(0, {"name": "g"}))),
    "qualname-not-a-string": ("b.py", _row(lambda row: row.__setitem__(ROW.index("qualname"), 7))),
    "functions-not-a-list": ("b.py", _metrics(lambda m: m.__setitem__("functions", {}))),
    "suppression-names": ("b.py", _metrics(lambda m: m["suppressions"][0].__setitem__("names", [1]))),
    "suppression-scope": ("b.py", _metrics(lambda m: m["suppressions"][0].__setitem__("scope", "x"))),
    "import-not-a-string": ("b.py", _metrics(lambda m: m["dependencies"].__setitem__("stdlib", [1]))),
    "raw-missing-a-field": ("b.py", _metrics(lambda m: m["raw"].pop("loc"))),
    "halstead-extra-field": ("b.py", _metrics(lambda m: m["halstead"].__setitem__("x", 1.0))),
    "metrics-not-an-object": ("b.py", lambda entry: entry.__setitem__("metrics", [])),
    "error-message-null": ("c.py", lambda entry: entry["error"].__setitem__("message", None)),
    "error-line-a-string": ("c.py", lambda entry: entry["error"].__setitem__("line", "1")),
}


@pytest.mark.parametrize("change", list(SHAPES))
def test_entry_of_the_wrong_shape_is_measured_again(project, cli, measured, change: str) -> None:
    """Every value is checked before use: a row too short or too long, text where a number
    belongs or a number where text belongs must never shift or reach the metrics."""
    source = "def g(x):  # qualitygate: ignore[QG001]\n" + BRANCHY.split("\n", 1)[1]
    root = project({"pyproject.toml": PYPROJECT, "b.py": source, "c.py": "def (:\n"})
    _assert_measured_again(cli, measured, root, *SHAPES[change])


def _assert_measured_again(
    cli: Callable[..., Any], measured: list[str], root: Path, suffix: str, edit: Edit
) -> None:
    """After ``edit`` of the stored entry of ``suffix``, that file alone is measured again, with a
    warning, and the report is the one the intact cache gave."""
    reference = cli("check", "-f", "json", cwd=root)
    edit_entry(root / DIR_NAME, suffix, edit)
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert result.code == reference.code and result.out == reference.out
    assert measured == [suffix] and "malformed" in result.err
    measured.clear()
    assert cli("check", "-f", "json", cwd=root).err == "" and measured == []  # replaced


def _another_key(key_file: Path) -> None:
    """The key of another Python, as another interpreter sharing the folder would have written."""
    parts = json.loads(json.loads(key_file.read_text(encoding="utf-8")))
    parts["python"] = "2.7"
    key_file.write_text(json.dumps(json.dumps(parts, sort_keys=True)), encoding="utf-8")


def test_a_folder_holding_another_key_is_never_read_as_this_one(project, cli, measured) -> None:
    """Folder names are a hash of the key: the key stored inside is what must match."""
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "b.py": BRANCHY})
    reference = cli("check", "-f", "json", cwd=root)
    [folder] = store_folders(root / DIR_NAME)
    _another_key(folder / "key.json")
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert sorted(measured) == ["a.py", "b.py"] and result.out == reference.out
    measured.clear()
    assert cli("check", "-f", "json", cwd=root).out == reference.out and measured == []


def _by_bucket(root: Path) -> list[list[str]]:
    """File names m0.py, m1.py... grouped by the bucket their entries fall in under ``root``."""
    groups: dict[int, list[str]] = {}
    for name in (f"m{i}.py" for i in range(1000)):
        groups.setdefault(bucket_of(str(root.resolve() / name)), []).append(name)
    return list(groups.values())


def test_buckets_of_another_key_are_never_adopted(project, cli, measured, tmp_path) -> None:
    """A one-file run rewrites the key file; the other key's remaining buckets must not become ours."""
    first, second = (names[0] for names in _by_bucket(tmp_path)[:2])
    root = project({"pyproject.toml": PYPROJECT, first: SIMPLE, second: BRANCHY})
    reference = cli("check", "-f", "json", cwd=root)
    [folder] = store_folders(root / DIR_NAME)
    _another_key(folder / "key.json")
    edit_entry(root / DIR_NAME, second, _wrong("function", 1))  # what the other key measured
    cli("check", first, cwd=root)
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert measured == [second] and result.out == reference.out


def test_a_one_file_run_reads_and_writes_only_that_files_bucket(project, cli, measured, tmp_path) -> None:
    """A pre-commit run on one file costs one bucket, whatever the size of the project."""
    mine, *others = (names[0] for names in _by_bucket(tmp_path)[:8])
    root = project({"pyproject.toml": PYPROJECT, **{name: SIMPLE for name in (mine, *others)}})
    cli("check", cwd=root)
    own = locate(root / DIR_NAME, mine)[0]
    rest = [bucket for bucket in bucket_files(root / DIR_NAME) if bucket != own]
    assert len(rest) == len(others)
    for bucket in rest:
        bucket.write_bytes(b"\x00 reading this would warn")
        os.utime(bucket, ns=(0, 0))
    (root / mine).write_text(BRANCHY, encoding="utf-8")
    measured.clear()
    result = cli("check", mine, "-f", "json", cwd=root)
    assert measured == [mine] and result.err == ""
    assert [v["symbol"] for v in result.json()["violations"]] == ["g"]
    assert all(b.read_bytes().startswith(b"\x00") and b.stat().st_mtime_ns == 0 for b in rest)
    assert json.loads(own.read_bytes())["entries"][str(root.resolve() / mine)]["size"] == len(BRANCHY)


def test_entries_of_deleted_files_are_dropped_when_their_bucket_is_written(project, cli, tmp_path) -> None:
    kept, gone = next(names for names in _by_bucket(tmp_path) if len(names) > 1)[:2]
    root = project({"pyproject.toml": PYPROJECT, kept: SIMPLE, gone: SIMPLE})
    cli("check", cwd=root)
    assert locate(root / DIR_NAME, gone)[0] == locate(root / DIR_NAME, kept)[0]  # one bucket
    (root / gone).unlink()
    (root / kept).write_text(SIMPLE + "\n", encoding="utf-8")  # its bucket must be written
    cli("check", cwd=root)
    assert list(stored(root / DIR_NAME)) == [str(root.resolve() / kept)]


def test_unreadable_bucket_is_a_warning(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY})
    cli("check", cwd=root)
    bucket = locate(root / DIR_NAME, "b.py")[0]
    bucket.unlink()
    bucket.mkdir()  # reading it fails with EISDIR whatever the user's privileges (root ignores modes)
    measured.clear()
    result = cli("check", cwd=root)
    assert result.code == 1 and measured == ["b.py"]
    assert "cannot read the cache" in result.err and "cannot write the cache" in result.err


def test_unwritable_cache_location_never_changes_the_verdict(project, cli, monkeypatch) -> None:
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY, "blocker": "a file, not a folder"})
    monkeypatch.setenv(ENV_VAR, str(root / "blocker" / "cache"))
    result = cli("check", "-f", "json", cwd=root)
    assert result.code == 1 and result.json()["violations"][0]["rule"] == "QG001"
    assert "cannot write the cache" in result.err


def test_no_cache_reads_and_writes_nothing(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "b.py": BRANCHY})
    cli("check", "--no-cache", cwd=root)
    assert not (root / DIR_NAME).exists()
    cli("check", cwd=root)
    for bucket in bucket_files(root / DIR_NAME):
        bucket.write_bytes(b"garbage")
    measured.clear()
    result = cli("check", "--no-cache", cwd=root)
    assert result.code == 1 and result.err == ""  # not read
    assert sorted(measured) == ["a.py", "b.py"]
    assert {bucket.read_bytes() for bucket in bucket_files(root / DIR_NAME)} == {b"garbage"}  # unwritten


def test_cache_folder_is_tagged_and_invisible_to_git(repo, cli) -> None:
    repo.write({"pyproject.toml": PYPROJECT, "a.py": SIMPLE}).commit()
    cli("check", cwd=repo.root)
    folder = repo.root / DIR_NAME
    assert (folder / "CACHEDIR.TAG").read_text() == CACHEDIR_TAG
    assert CACHEDIR_TAG.startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (folder / ".gitignore").read_text() == "*\n"
    assert repo.git("status", "--porcelain") == ""


def test_environment_variable_moves_the_cache(project, cli, measured, monkeypatch, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("ci-cache") / "qg"
    monkeypatch.setenv(ENV_VAR, str(elsewhere))
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE})
    cli("check", cwd=root)
    measured.clear()
    cli("check", cwd=root)
    assert measured == [] and not (root / DIR_NAME).exists()
    assert len(store_folders(elsewhere)) == 1 and len(stored(elsewhere)) == 1


def test_running_from_another_folder_reuses_entries_with_its_own_paths(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "pkg/b.py": BRANCHY})
    from_root = cli("check", "-f", "json", cwd=root).json()
    measured.clear()
    from_pkg = cli("check", ".", "-f", "json", cwd=root / "pkg").json()
    assert measured == []
    assert from_root["files"][0]["path"] == "pkg/b.py" and from_pkg["files"][0]["path"] == "b.py"
    assert from_pkg["violations"][0]["path"] == "b.py"


def _age(path: Path, days: float) -> Path:
    moment = time.time() - days * SECONDS_PER_DAY
    os.utime(path, (moment, moment))
    return path


def _store(folder: Path, days: float) -> Path:
    folder.mkdir(parents=True)
    (folder / "key.json").write_text('"some other key"', encoding="utf-8")
    (folder / "00.json").write_text('{"format": 1, "entries": {}}', encoding="utf-8")
    return _age(folder, days)


def test_stores_unused_for_30_days_are_pruned_and_nothing_else(project, cli, monkeypatch, tmp_path_factory) -> None:
    """Another key's store (another Python, older options) and the single-file formats before
    buckets go after 30 days unused; $QUALITYGATE_CACHE_DIR may be shared, so nothing else does."""
    shared = tmp_path_factory.mktemp("shared")
    monkeypatch.setenv(ENV_VAR, str(shared))
    old = MAX_AGE_DAYS + 1
    dead = [_store(shared / f"{kind}-0123456789abcdef", old) for kind in ("metrics", "answers")]
    formats = {"metrics-0123abcd.json": "{}", "breakdowns-89abcdef.json": "{}",
               "ai-suggestions.json": '{"version": 1, "answers": {}}'}  # as the old formats were named
    for name, text in formats.items():
        (shared / name).write_text(text, encoding="utf-8")
        dead.append(_age(shared / name, old))
    young = _store(shared / "metrics-fedcba9876543210", MAX_AGE_DAYS - 1)
    foreign = _store(shared / "other-tool", old)  # another tool's, with files named like ours
    unrelated = [foreign, foreign / "key.json", foreign / "00.json"]
    for name in ("notes.json", "metrics-prod.json"):  # other tools' files, named much like ours
        (shared / name).write_text("{}", encoding="utf-8")
        unrelated.append(_age(shared / name, old))
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE})
    cli("check", cwd=root)
    assert [path for path in dead if path.exists()] == []
    assert sorted(p.name for p in young.iterdir()) == ["00.json", "key.json"]
    assert all(path.exists() for path in unrelated)
    assert len(stored(shared)) == 1  # this run's own store


def test_an_ai_suggestions_file_qualitygate_did_not_write_is_kept(project, cli, monkeypatch, tmp_path_factory) -> None:
    shared = tmp_path_factory.mktemp("shared")
    monkeypatch.setenv(ENV_VAR, str(shared))
    theirs = shared / "ai-suggestions.json"
    theirs.write_text('{"model": "mine"}', encoding="utf-8")
    _age(theirs, MAX_AGE_DAYS + 1)
    cli("check", cwd=project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE}))
    assert theirs.read_text(encoding="utf-8") == '{"model": "mine"}'


def test_cache_round_trips_every_field(project, monkeypatch) -> None:
    """Whatever FileMetrics holds (suppressions, first lines...) comes back equal from the cache."""
    source = (
        "# qualitygate: ignore-file[maintainability_index]\n"
        "import os\n\n\n@staticmethod\ndef f(x):  # qualitygate: ignore[QG001]\n"
        + BRANCHY.split("\n", 1)[1]
    )
    root = project({"pyproject.toml": PYPROJECT, "a.py": source, "b.py": "def (:\n", "c.py": SIMPLE})
    for file in stdlib_files()[:25]:
        (root / "lib" / file.name).parent.mkdir(exist_ok=True)
        (root / "lib" / file.name).write_bytes(file.read_bytes())
    monkeypatch.chdir(root)
    settings = load_settings(start=root)
    cold = measure(settings, [], sys.stderr, use_cache=False)
    measure(settings, [], sys.stderr)
    warm = measure(settings, [], sys.stderr)
    key = lambda item: item.path  # noqa: E731
    assert sorted(warm[0], key=key) == sorted(cold[0], key=key)
    assert sorted(warm[1], key=key) == sorted(cold[1], key=key)
    assert any(file.suppressions for file in cold[0])
    for file in (*warm[0], *warm[1]):  # same types too: a report must not turn 0.0 into 0
        original = next(c for c in (*cold[0], *cold[1]) if c.path == file.path)
        assert repr(file) == repr(original)


def test_warm_run_imports_no_analysis_code(project, tmp_path: Path) -> None:
    """A warm run loads neither radon, the ast visitors, the process pool nor libcst."""
    root = project({"pyproject.toml": PYPROJECT, **{f"m{i}.py": SIMPLE for i in range(10)}})
    script = (
        "import sys\nfrom qualitygate.cli import run\n"
        "code = run(['check', '-f', 'json:' + sys.argv[1]])\n"
        "heavy = ('radon.metrics', 'radon.visitors', 'concurrent.futures', 'libcst', "
        "'qualitygate.metrics.analyze', 'qualitygate.metrics.pool')\n"
        "print(code, sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop(ENV_VAR, None)
    outputs = []
    for run in ("cold", "warm"):
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / f"{run}.json")],
            cwd=root, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        outputs.append(done.stdout.strip())
    assert "radon.metrics" in outputs[0]  # the cold run did measure
    assert outputs[1] == "0 []"
    assert (tmp_path / "cold.json").read_text() == (tmp_path / "warm.json").read_text()


def test_editing_qualitygate_itself_changes_the_key(tmp_path: Path) -> None:
    """A checkout's edited analysis code never reuses metrics the old code measured."""
    import shutil

    copy = tmp_path / "qualitygate"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_fingerprint(copy)
    assert code_fingerprint(copy) == before  # stable while nothing changes
    module = copy / "metrics" / "cognitive.py"
    module.write_text(module.read_text() + "\n# edited\n")
    assert code_fingerprint(copy) != before
    assert key_parts(metric_options(load_settings(start=tmp_path)))["code"] == code_fingerprint()


def test_ai_answers_round_trip_through_the_cache_folder(tmp_path: Path) -> None:
    payload = {"messages": [{"role": "user", "content": "simplify g"}]}
    asked, other = request_key("openai gpt-x", payload), request_key("ollama llama", payload)
    assert asked != other and asked == request_key("openai gpt-x", dict(payload))
    first = AnswerCache(tmp_path / "cache", pytest.fail)
    first.put(asked, "def g(x):\n    return x\n")
    first.save()
    again = AnswerCache(tmp_path / "cache", pytest.fail)
    assert again.get(asked) == "def g(x):\n    return x\n"
    assert again.get(other) is None
    assert (tmp_path / "cache" / "CACHEDIR.TAG").is_file()


def test_no_answer_cache_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cache = AnswerCache(None, pytest.fail)
    cache.put(request_key("openai gpt-x", "simplify g"), "def g(x):\n    return x\n")
    cache.save()
    assert cache.get(request_key("openai gpt-x", "simplify g")) is None
    assert list(tmp_path.iterdir()) == []
