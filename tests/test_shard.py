"""Sharding and merging: N stable slices whose merged report equals one run over every file."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from qualitygate.discovery.shard import shard_of
from qualitygate.paths import root_relative
from qualitygate.store.cache import ENV_VAR

from .conftest import stdlib_files

PYPROJECT = "[tool.qualitygate]\nmaintainability_threshold = 40\n"


@pytest.fixture(autouse=True)
def _no_shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A real project: 45 stdlib modules in packages, a syntax error and a broken symlink."""
    root = tmp_path / "proj"
    for index, source in enumerate(stdlib_files(limit_bytes=40_000)[:45]):
        target = root / f"pkg{index % 4}" / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (root / "pkg0" / "broken_syntax.py").write_text("def (:\n")
    (root / "pkg1" / "dangling.py").symlink_to(root / "nowhere.py")
    (root / "pyproject.toml").write_text(PYPROJECT)
    return root


def test_shard_of_is_stable_across_runs_and_versions() -> None:
    # Frozen values: a change here re-deals every project's files between CI jobs.
    assert [shard_of(p, 3) for p in ("a.py", "pkg/mod.py", "src/app/__init__.py")] == [1, 3, 1]
    assert [shard_of(p, 4) for p in ("a.py", "pkg/mod.py", "tests/test_x.py")] == [2, 3, 4]
    assert all(shard_of(p, 1) == 1 for p in ("a.py", "b.py"))


def test_shard_key_is_relative_to_the_project_root(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "pkg").mkdir()
    monkeypatch.chdir(tmp_path / "pkg")
    assert root_relative("mod.py", tmp_path) == "pkg/mod.py"
    monkeypatch.chdir(tmp_path)
    assert root_relative("pkg/mod.py", tmp_path) == "pkg/mod.py"


def test_slices_partition_the_stdlib_evenly() -> None:
    keys = [path.as_posix() for path in stdlib_files(limit_bytes=10**9)]
    for count in (2, 3, 4, 8):
        sizes = [sum(1 for key in keys if shard_of(key, count) == k) for k in range(1, count + 1)]
        assert sum(sizes) == len(keys)
        mean = len(keys) / count
        assert max(abs(size - mean) for size in sizes) < 0.15 * mean, sizes


def _json(result) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(result.out)


def test_merged_shards_equal_one_run(corpus: Path, cli, tmp_path: Path) -> None:
    single = cli("check", "-f", "json", "--no-cache", cwd=corpus)
    assert single.code == 1
    reports = []
    seen: list[str] = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard-{k}.json"
        shard = cli("check", "--shard", f"{k}/3", "-f", f"json:{out}", cwd=corpus)
        assert shard.code in (0, 1)
        data = json.loads(out.read_text())
        seen += [f["path"] for f in data["files"]] + [e["path"] for e in data["errors"]]
        assert 0 < len(data["files"]) < len(single.json()["files"])
        reports.append(str(out))
    expected = single.json()
    assert sorted(seen) == sorted([f["path"] for f in expected["files"]] + [e["path"] for e in expected["errors"]])
    merged = cli("merge", *reports, "-f", "json", cwd=corpus)
    assert merged.code == single.code
    assert merged.json()["files"] == expected["files"]
    assert merged.json()["violations"] == expected["violations"]
    assert merged.json()["errors"] == expected["errors"]
    assert merged.out == single.out  # the whole document, summary and verdict included


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit", "gitlab", "markdown"])
def test_merge_renders_any_format_like_a_single_run(corpus: Path, cli, tmp_path: Path, fmt: str) -> None:
    single = cli("check", "-f", fmt, cwd=corpus)
    reports = []
    for k in (1, 2, 3):
        cli("check", "--shard", f"{k}/3", "-f", f"json:{tmp_path / f'{k}.json'}", cwd=corpus)
        reports.append(str(tmp_path / f"{k}.json"))
    merged = cli("merge", *reversed(reports), "-f", fmt, cwd=corpus)  # input order does not matter
    assert (merged.code, merged.out) == (single.code, single.out)


def test_merging_a_report_twice_counts_it_once(corpus: Path, cli, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    cli("check", "-f", f"json:{out}", cwd=corpus)
    merged = cli("merge", str(out), str(out), "-f", "json", cwd=corpus)
    assert merged.json() == json.loads(out.read_text())


def test_merge_rejects_reports_of_different_runs(project, cli, tmp_path: Path) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": "def f(x):\n    return x\n"})
    cli("check", "-f", f"json:{tmp_path / 'one.json'}", cwd=root)
    (root / "a.py").write_text("def f(x):\n    return x if x else 0\n")
    cli("check", "-f", f"json:{tmp_path / 'two.json'}", cwd=root)
    result = cli("merge", str(tmp_path / "one.json"), str(tmp_path / "two.json"), cwd=root)
    assert result.code == 2
    assert "both measured a.py with different results" in result.err


@pytest.mark.parametrize(
    ("content", "message"),
    [("not json", "not a JSON report"), ('{"version": 7}', "not a qualitygate JSON v1 report"),
     ('{"version": 1, "files": 3}', "not a qualitygate JSON v1 report")],
)  # fmt: skip
def test_merge_rejects_what_is_not_a_report(cli, tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = cli("merge", str(bad), cwd=tmp_path)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    "edit",
    [("violations", "line", "3"), ("violations", "line", None), ("violations", "line", 10**30),
     ("violations", "path", ["a.py"]), ("violations", "value", "12"), ("errors", "line", "1"),
     ("deep", None, None)],
    ids=repr,
)  # fmt: skip
def test_a_hand_edited_shard_is_a_usage_error_naming_it(project, cli, tmp_path: Path, edit) -> None:
    """Shards of the wrong types once crashed the merge with exit 3 (issue 12); now exit 2."""
    root = project({"pyproject.toml": PYPROJECT, "b.py": BRANCHY_FOR_MERGE, "c.py": "def (:\n"})
    shard = tmp_path / "shard.json"
    cli("check", "-f", f"json:{shard}", cwd=root)
    report = json.loads(shard.read_text())
    where, key, value = edit
    if where == "deep":
        shard.write_text('{"version": 1, "files": ' + "[" * 100_000 + "]" * 100_000 + "}")
    else:
        report[where][0][key] = value
        shard.write_text(json.dumps(report))
    result = cli("merge", str(shard), cwd=root)
    assert result.code == 2 and f"{shard}: not a" in result.err and "Traceback" not in result.err


BRANCHY_FOR_MERGE = "def g(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12)) + "    return -1\n"


def test_merge_missing_file_and_expected_count(cli, tmp_path: Path) -> None:
    missing = cli("merge", str(tmp_path / "nope.json"), cwd=tmp_path)
    assert missing.code == 2 and "cannot read report" in missing.err
    report = tmp_path / "r.json"
    report.write_text('{"version":1,"passed":true,"files":[],"violations":[],"errors":[]}')
    short = cli("merge", str(report), "--expect", "3", cwd=tmp_path)
    assert short.code == 2 and "is a shard missing?" in short.err
    assert cli("merge", str(report), "--expect", "1", cwd=tmp_path).code == 0


@pytest.mark.parametrize("text", ["0/3", "4/3", "a/b", "3", "1/0"])
def test_bad_shard_is_a_usage_error(project, cli, text: str) -> None:
    root = project({"a.py": "x = 1\n"})
    result = cli("check", "--shard", text, cwd=root)
    assert result.code == 2 and "--shard" in result.err


def test_an_empty_shard_passes_and_merges(project, cli, tmp_path: Path) -> None:
    root = project({"pyproject.toml": PYPROJECT, "a.py": "x = 1\n"})
    owner = shard_of("a.py", 2)
    other = 3 - owner
    empty = cli("check", "--shard", f"{other}/2", "-f", f"json:{tmp_path / 'e.json'}", cwd=root)
    full = cli("check", "--shard", f"{owner}/2", "-f", f"json:{tmp_path / 'f.json'}", cwd=root)
    assert empty.code == 0 and "no Python files" not in empty.err
    assert json.loads((tmp_path / "e.json").read_text())["files"] == []
    merged = cli("merge", str(tmp_path / "e.json"), str(tmp_path / "f.json"), "-f", "json", cwd=root)
    assert full.code == merged.code == 0 and [f["path"] for f in merged.json()["files"]] == ["a.py"]


def test_shards_are_the_same_from_any_working_folder(corpus: Path, cli, tmp_path: Path) -> None:
    from_root = cli("check", "--shard", "2/3", "-f", "json", cwd=corpus).json()
    from_above = cli("check", "proj", "--shard", "2/3", "-f", "json", "--config",
                     str(corpus / "pyproject.toml"), cwd=corpus.parent).json()  # fmt: skip
    assert [f["path"] for f in from_above["files"]] == ["proj/" + f["path"] for f in from_root["files"]]
    assert os.path.isdir(corpus)
