"""The incremental cache: warm runs measure nothing, edits are caught, a broken cache only warns."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from qualitygate.config import load_settings
from qualitygate.metrics import pool as runner
from qualitygate.metrics.analyze import measure_file
from qualitygate.models import AnalysisError, FileMetrics
from qualitygate.pipeline import measure, metric_options
from qualitygate.store.cache import (
    CACHEDIR_TAG,
    DIR_NAME,
    ENV_VAR,
    PACKAGE,
    SECONDS_PER_DAY,
    MetricsCache,
    code_fingerprint,
    key_parts,
)
from qualitygate.store.cache_format import ENTRIES, RECORDS, checksummed

from .conftest import stdlib_files

NOW = 1_800_000_000.0
PYPROJECT = "[tool.qualitygate]\nmaintainability_threshold = 0\n"
SIMPLE = "def f(x):\n    if x:\n        return 1\n    return 2\n"
BRANCHY = "def g(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12)) + "    return -1\n"


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


def cache_files(root: Path) -> list[Path]:
    return sorted((root / DIR_NAME).glob("metrics-*.json"))


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


def test_edited_file_is_measured_again_and_only_it(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "b.py": SIMPLE.replace("def f", "def h")})
    assert cli("check", cwd=root).code == 0
    measured.clear()
    (root / "a.py").write_text(SIMPLE + "\n" + BRANCHY, encoding="utf-8")
    result = cli("check", "-f", "json", cwd=root)
    assert measured == ["a.py"]
    assert result.code == 1 and [v["symbol"] for v in result.json()["violations"]] == ["g"]


def test_touched_file_keeps_its_metrics_and_new_stamp(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE})
    cli("check", cwd=root)
    measured.clear()
    os.utime(root / "a.py", ns=(1_000_000_000, 1_000_000_000))  # a checkout: same bytes, new mtime
    assert cli("check", cwd=root).code == 0
    assert measured == []  # the digest matched
    entry = next(iter(json.loads(cache_files(root)[0].read_text())["entries"].values()))
    assert entry[1] == 1_000_000_000  # the new mtime is remembered, so the next run does not hash


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
    assert len(cache_files(root)) == 2  # one file per key; switching back is warm again


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


def test_transient_errors_are_not_cached(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text(SIMPLE)
    cache = MetricsCache.load(tmp_path / "cache", metric_options(load_settings(start=tmp_path)), NOW)
    jobs = [(source, "a.py")]
    assert cache.split(jobs) == ([], jobs)
    cache.record(jobs, [AnalysisError("a.py", None, "cannot read file: permission denied")])
    assert cache.entries == {}


def test_metrics_the_table_cannot_hold_are_reported_but_not_cached(tmp_path: Path) -> None:
    """A function on line 2**31 cannot be stored as a 32-bit int: the run still reports the
    metrics it measured, and the next run measures the file again instead of reading garbage."""
    source = tmp_path / "a.py"
    source.write_text(SIMPLE)
    cache = MetricsCache.load(tmp_path / "cache", metric_options(load_settings(start=tmp_path)), NOW)
    jobs = [(source, "a.py")]
    assert cache.split(jobs) == ([], jobs)
    file = measure_file(source, "a.py", metric_options(load_settings(start=tmp_path)))
    assert isinstance(file, FileMetrics)
    huge = replace(file, functions=(file.functions[0]._replace(lineno=2**31),))
    assert cache.record(jobs, [huge]) == [huge]
    assert cache.entries == {}


@pytest.mark.parametrize(
    "content",
    [b"\x00\xffnot json", b'{"layout": 3, "entries": [1, 2]}', b"[]", b'{"layout": 99, "entries": {}}',
     b"[" * 100_000 + b"]" * 100_000, b'{"layout": 3, "entries": {"/x.py": [1, 2, "d", 3, "file", [], 0, 0]},"records":['],
    ids=["garbage", "entries-not-a-table", "not-an-object", "other-layout", "deep-nesting", "truncated"],
)
def test_corrupt_cache_is_a_warning_and_counts_as_empty(project, cli, measured, content: bytes) -> None:
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY})
    reference = cli("check", "-f", "json", "--no-cache", cwd=root)
    cli("check", cwd=root)
    cache_files(root)[0].write_bytes(content)
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert measured == ["b.py"]
    assert (result.code, result.out) == (reference.code, reference.out)
    assert "qualitygate: warning:" in result.err and "cache" in result.err
    measured.clear()
    assert cli("check", cwd=root).err == "" and measured == []  # rewritten whole


def _rewrite_entry(file: Path, suffix: str, change: Callable[[list], None]) -> None:
    """Edit the stored entry of the file ending in ``suffix`` as if the cache had been written that
    way: the crc32 matches, so only the entry's own checks can catch it."""
    data = file.read_bytes()
    split = data.index(RECORDS)
    document = json.loads(data[:split] + b"}")
    key = next(k for k in document["entries"] if k.endswith(suffix))
    change(document["entries"][key])
    index = json.dumps(document["entries"], ensure_ascii=False, separators=(",", ":")).encode()
    body = index + data[split:-1]  # the records, untouched
    file.write_bytes(checksummed(document["layout"], document["key"], body))


def test_malformed_entry_is_measured_again(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "b.py": BRANCHY})
    reference = cli("check", "-f", "json", cwd=root)
    _rewrite_entry(cache_files(root)[0], "b.py", lambda entry: entry.__setitem__(5, [[], "nonsense"]))
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert measured == ["b.py"] and result.out == reference.out
    assert "malformed" in result.err


def test_a_file_written_under_another_key_is_never_read_as_this_one(project, cli, measured) -> None:
    """File names are a crc32 of the key: the key stored inside is what must match, so settings
    that happened to share a name could never serve each other's metrics."""
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "b.py": BRANCHY})
    reference = cli("check", "-f", "json", cwd=root)
    file = cache_files(root)[0]
    data = file.read_bytes()
    key = json.loads(data[: data.index(RECORDS)] + b"}")["key"]
    assert '"radon"' in key and '"python"' in key  # the whole key, not a hash of it
    other = json.dumps(key.replace('"python"', '"pypy"'))
    file.write_bytes(data.replace(json.dumps(key).encode(), other.encode(), 1))
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert sorted(measured) == ["a.py", "b.py"] and result.out == reference.out
    assert "is not in the expected format" in result.err


def test_a_stored_record_that_is_not_utf8_is_measured_again(project, cli, measured) -> None:
    """Records are written into reports as stored bytes: one that is not UTF-8 (crafted under a
    valid checksum) must never reach a report."""
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "b.py": BRANCHY})
    reference = cli("check", "-f", "json", cwd=root)
    file = cache_files(root)[0]
    data = file.read_bytes()
    document = json.loads(data[: data.index(RECORDS)] + b"}")
    start = data.index(ENTRIES) + len(ENTRIES)
    body = data[start:-1]
    records = body.index(RECORDS) + len(RECORDS)
    bad = body[:records] + body[records:].replace(b'"raw"', b'"r\xffw"', 1)  # same length
    file.write_bytes(checksummed(document["layout"], document["key"], bad))
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert len(measured) == 1 and "malformed" in result.err
    assert result.out == reference.out


def test_hand_edited_cache_fails_its_checksum_and_counts_as_empty(project, cli, measured) -> None:
    """Stored JSON records are copied into reports unread: an edit must never reach a report."""
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE, "b.py": BRANCHY})
    reference = cli("check", "-f", "json", cwd=root)
    file = cache_files(root)[0]
    data = file.read_bytes()
    split = data.index(RECORDS)  # a record's key renamed, as a hand edit or a flipped bit would
    file.write_bytes(data[:split] + data[split:].replace(b'"cyclomatic_complexity":', b'"cc":', 1))
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert sorted(measured) == ["a.py", "b.py"] and result.out == reference.out
    assert "checksum does not match" in result.err
    measured.clear()
    assert cli("check", cwd=root).err == "" and measured == []  # rewritten whole


def test_unreadable_cache_is_a_warning(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY})
    cli("check", cwd=root)
    file = cache_files(root)[0]
    file.unlink()
    file.mkdir()  # reading it fails with EISDIR whatever the user's privileges (root ignores modes)
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
    root = project({"pyproject.toml": PYPROJECT, "a.py": SIMPLE})
    cli("check", "--no-cache", cwd=root)
    cli("check", "--no-cache", cwd=root)
    assert not (root / DIR_NAME).exists()
    assert measured == ["a.py", "a.py"]


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
    assert len(list(elsewhere.glob("metrics-*.json"))) == 1


def test_running_from_another_folder_reuses_entries_with_its_own_paths(project, cli, measured) -> None:
    root = project({"pyproject.toml": PYPROJECT, "pkg/b.py": BRANCHY})
    from_root = cli("check", "-f", "json", cwd=root).json()
    measured.clear()
    from_pkg = cli("check", ".", "-f", "json", cwd=root / "pkg").json()
    assert measured == []
    assert from_root["files"][0]["path"] == "pkg/b.py" and from_pkg["files"][0]["path"] == "b.py"
    assert from_pkg["violations"][0]["path"] == "b.py"


def _warm(tmp_path: Path, names: list[str], now: float) -> MetricsCache:
    """One run over ``names`` at ``now`` through the cache API, saved."""
    options = metric_options(load_settings(start=tmp_path))
    cache = MetricsCache.load(tmp_path / "cache", options, now)
    jobs = [(tmp_path / name, name) for name in names]
    _, misses = cache.split(jobs)
    cache.record(misses, [runner.measure_serial([job], options, None)[0] for job in misses])
    cache.save()
    return cache


def test_entries_unseen_for_30_days_are_dropped(tmp_path: Path) -> None:
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(SIMPLE)
    _warm(tmp_path, ["a.py", "b.py"], NOW)
    _warm(tmp_path, ["b.py"], NOW + 29 * SECONDS_PER_DAY)  # a pre-commit run: only b.py staged
    kept = _warm(tmp_path, ["b.py"], NOW + 30 * SECONDS_PER_DAY)
    assert sorted(Path(k).name for k in kept.entries) == ["a.py", "b.py"]  # 30 days: still kept
    pruned = _warm(tmp_path, ["b.py"], NOW + 31 * SECONDS_PER_DAY)
    assert sorted(Path(k).name for k in pruned.entries) == ["b.py"]
    on_disk = json.loads(next((tmp_path / "cache").glob("metrics-*.json")).read_text())["entries"]
    assert [Path(k).name for k in on_disk] == ["b.py"]


def test_a_warm_run_on_the_same_day_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(SIMPLE)
    _warm(tmp_path, ["a.py"], NOW)
    file = next((tmp_path / "cache").glob("metrics-*.json"))
    os.utime(file, ns=(0, 0))
    _warm(tmp_path, ["a.py"], NOW + 60)
    assert file.stat().st_mtime_ns == 0
    _warm(tmp_path, ["a.py"], NOW + SECONDS_PER_DAY)  # a new day: the seen-day is refreshed
    assert file.stat().st_mtime_ns != 0


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


@pytest.mark.parametrize("bad", ["high", None, True, [3], {"cc": 3}, 10**400])
def test_entry_with_a_metric_of_the_wrong_type_is_measured_again(project, cli, measured, bad) -> None:
    """A well-shaped entry whose number is a string, null, bool, list, object or beyond a float
    must not reach the gate."""
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY})
    # The row: [raw counts, cyclomatic complexity, maintainability, halstead, ...]
    _assert_measured_again(cli, measured, root, "b.py", lambda entry: entry[5][3].__setitem__(2, bad))


@pytest.mark.parametrize(
    "change",
    ["short", "long", "not-a-list", "column-missing", "column-added", "not-base64", "numbers-as-list",
     "extra-name", "negative-count"],
)  # fmt: skip
def test_function_row_of_the_wrong_shape_is_measured_again(project, cli, measured, change) -> None:
    """Functions are rebuilt positionally from the table's columns (function_table): a column
    too short or too long, a part missing or added, or a number where text belongs must never
    shift the metrics."""
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY})

    def cut(text: str) -> str:  # the records less the last one's last byte
        return base64.b64encode(base64.b64decode(text)[:-1]).decode()

    edits = {
        "short": lambda entry: entry[5][5].__setitem__(3, cut(entry[5][5][3])),
        "long": lambda entry: entry[5][5].__setitem__(0, entry[5][5][0] + 1),
        "not-a-list": lambda entry: entry[5].__setitem__(5, 7),
        "column-missing": lambda entry: entry[5][5].pop(),
        "column-added": lambda entry: entry[5][5].append("AAAAAAAAAAA="),
        "not-base64": lambda entry: entry[5][5].__setitem__(3, "not base64!"),
        "numbers-as-list": lambda entry: entry[5][5].__setitem__(3, [1, 2, 3]),
        "extra-name": lambda entry: entry[5][5].__setitem__(1, entry[5][5][1] + "\nextra"),
        "negative-count": lambda entry: entry[5][5].__setitem__(0, -1),
    }
    _assert_measured_again(cli, measured, root, "b.py", edits[change])


@pytest.mark.parametrize(
    "change",
    ["functions-not-a-list", "qualname-not-a-string", "suppression-names", "short-raw", "error-message"],
)
def test_crafted_entries_under_a_valid_checksum_are_measured_again(project, cli, measured, change) -> None:
    """A checksum only proves the bytes are as written; every value must still have its type."""
    source = "def g(x):  # qualitygate: ignore[QG001]\n" + BRANCHY.split("\n", 1)[1]
    root = project({"pyproject.toml": PYPROJECT, "b.py": source, "c.py": "def (:\n"})
    edits = {
        "functions-not-a-list": ("b.py", lambda entry: entry[5].__setitem__(5, {})),
        "qualname-not-a-string": ("b.py", lambda entry: entry[5][5].__setitem__(2, 7)),
        "suppression-names": ("b.py", lambda entry: entry[5][6][0].__setitem__(2, [1])),
        "short-raw": ("b.py", lambda entry: entry[5][0].pop()),
        "error-message": ("c.py", lambda entry: entry[5].__setitem__("message", None)),
    }
    _assert_measured_again(cli, measured, root, *edits[change])


def _assert_measured_again(
    cli: Callable[..., Any], measured: list[str], root: Path, suffix: str, edit: Callable[[list[Any]], object]
) -> None:
    """After ``edit`` of the stored entry of ``suffix``, that file alone is measured again, with a
    warning, and the report is the one the intact cache gave."""
    reference = cli("check", "-f", "json", cwd=root)
    _rewrite_entry(cache_files(root)[0], suffix, edit)
    measured.clear()
    result = cli("check", "-f", "json", cwd=root)
    assert result.code == reference.code and result.out == reference.out
    assert measured == [suffix] and "malformed" in result.err
