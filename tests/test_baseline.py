"""The baseline (ratchet): recorded offenders pass while no worse; new and worse ones fail."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualitygate.gate.baseline import Baseline, Entry, dumps
from qualitygate.serialize import from_dict, to_dict

from .gitrepo import CONFIG, GitRepo, branchy, nested

BASELINE = ".qualitygate-baseline.json"


def _legacy(repo: GitRepo, extra: dict[str, str] | None = None) -> GitRepo:
    """Two offenders in a committed project: f (cyclomatic 12) and Parser.parse (cognitive 21)."""
    parser = "class Parser:\n" + "".join(f"    {line}\n" for line in nested("parse", 6).splitlines())
    files = {"pyproject.toml": CONFIG, "pkg/core.py": branchy("f", 11) + "\n\n" + parser,
             "pkg/ok.py": "def ok():\n    return 1\n", **(extra or {})}  # fmt: skip
    return repo.write(files).commit("legacy")


def _entries(root: Path) -> list[tuple[str, str, str, float]]:
    data = json.loads((root / BASELINE).read_text())
    return [(e["path"], e["symbol"], e["rule"], e["value"]) for e in data["entries"]]


def _check(cli, repo: GitRepo, *args: str):
    return cli("check", "-f", "json", *args, cwd=repo.root)


def test_baseline_records_todays_offenders_sorted_one_per_line(cli, repo) -> None:
    _legacy(repo)
    result = cli("baseline", cwd=repo.root)
    assert result.code == 0
    assert "baseline .qualitygate-baseline.json: 2 offenders in 1 file (2 added" in result.out
    assert _entries(repo.root) == [("pkg/core.py", "Parser.parse", "QG002", 21), ("pkg/core.py", "f", "QG001", 12)]
    text = (repo.root / BASELINE).read_text()
    assert text.splitlines()[2] == '    {"path": "pkg/core.py", "rule": "QG002", "symbol": "Parser.parse", "value": 21},'
    assert list(json.loads(text)) == ["entries", "version"]
    cli("baseline", cwd=repo.root)
    assert (repo.root / BASELINE).read_text() == text  # re-running changes nothing: stable diffs
    assert sorted(p.name for p in repo.root.iterdir() if p.name.startswith(".qualitygate-b")) == [BASELINE]


def test_check_uses_the_baseline_when_it_exists_and_no_baseline_ignores_it(cli, repo) -> None:
    _legacy(repo)
    assert _check(cli, repo).code == 1
    cli("baseline", cwd=repo.root)
    result = _check(cli, repo)
    assert result.code == 0, result.out
    report = result.json()
    assert report["violations"] == [] and report["summary"]["baselined"] == 2
    assert sorted(v["symbol"] for v in report["baselined"]) == ["Parser.parse", "f"]
    assert _check(cli, repo, "--no-baseline").code == 1


def test_a_new_offender_fails(cli, repo) -> None:
    _legacy(repo)
    cli("baseline", cwd=repo.root)
    repo.write({"pkg/new.py": branchy("g", 10)})
    result = _check(cli, repo)
    assert result.code == 1
    assert [(v["path"], v["symbol"], v["baseline_value"]) for v in result.json()["violations"]] == [
        ("pkg/new.py", "g", None)
    ]


def test_a_worse_offender_fails_and_says_what_was_recorded(cli, repo) -> None:
    _legacy(repo)
    cli("baseline", cwd=repo.root)
    source = (repo.root / "pkg/core.py").read_text()
    (repo.root / "pkg/core.py").write_text(source.replace("def f(x):\n", "def f(x):\n    if x: x += 1\n"))
    result = _check(cli, repo)
    assert result.code == 1
    (v,) = result.json()["violations"]
    assert (v["symbol"], v["value"], v["baseline_value"]) == ("f", 13, 12)
    text = cli("check", cwd=repo.root).out
    assert "pkg/core.py:1:1: QG001 f cyclomatic_complexity 13 > 10 (worse than the baseline's 12)" in text


def test_an_offender_no_worse_passes_even_after_moving_down_the_file(cli, repo) -> None:
    _legacy(repo)
    cli("baseline", cwd=repo.root)
    source = (repo.root / "pkg/core.py").read_text()
    (repo.root / "pkg/core.py").write_text('"""Docs."""\nimport os\n\n\n' + source)
    result = _check(cli, repo)
    assert result.code == 0, result.out
    assert sorted(v["line"] for v in result.json()["baselined"]) == [5, 32]


def test_an_improved_offender_still_over_the_threshold_stays_baselined(cli, repo) -> None:
    _legacy(repo)
    cli("baseline", cwd=repo.root)
    source = (repo.root / "pkg/core.py").read_text()
    (repo.root / "pkg/core.py").write_text(source.replace("    if x == 0:\n        return 0\n", "", 1))
    report = _check(cli, repo).json()
    assert report["passed"] and report["fixed"] == []
    assert [v["value"] for v in report["baselined"] if v["symbol"] == "f"] == [11]


def test_a_fixed_offender_is_reported_and_prune_drops_it(cli, repo) -> None:
    _legacy(repo)
    cli("baseline", cwd=repo.root)
    (repo.root / "pkg/core.py").write_text(branchy("f", 5) + "\n\n" + branchy("h", 10))
    result = _check(cli, repo)
    report = result.json()
    assert result.code == 1  # h is new
    assert report["fixed"] == [
        {"rule": "QG002", "path": "pkg/core.py", "symbol": "Parser.parse", "recorded": 21, "value": None},
        {"rule": "QG001", "path": "pkg/core.py", "symbol": "f", "recorded": 12, "value": 6},
    ]
    assert report["summary"]["fixed"] == 2
    text = cli("check", cwd=repo.root).out
    assert "  pkg/core.py: QG001 f was 12, now 6" in text and "Parser.parse was 21, gone" in text
    assert ", 2 fixed, 0 errors" in text
    pruned = cli("baseline", "--prune", cwd=repo.root)
    assert "0 offenders in 0 files (0 added, 2 removed" in pruned.out
    assert _entries(repo.root) == []  # prune never adds the new offender h
    assert _check(cli, repo).code == 1


def test_prune_tightens_an_improved_value_and_never_loosens_a_worse_one(cli, repo) -> None:
    _legacy(repo, {"pkg/two.py": branchy("a", 12) + "\n" + branchy("b", 12, base=100)})
    cli("baseline", cwd=repo.root)
    worse_a, better_b = branchy("a", 14), branchy("b", 10, base=100)
    (repo.root / "pkg/two.py").write_text(worse_a + "\n" + better_b)
    cli("baseline", "--prune", cwd=repo.root)
    two = [e for e in _entries(repo.root) if e[0] == "pkg/two.py"]
    assert two == [("pkg/two.py", "a", "QG001", 13), ("pkg/two.py", "b", "QG001", 11)]


def test_paths_are_relative_to_the_project_root_from_any_folder(cli, repo) -> None:
    _legacy(repo)
    result = cli("baseline", ".", cwd=repo.root / "pkg")
    assert result.code == 0
    assert {e[0] for e in _entries(repo.root)} == {"pkg/core.py"}
    assert cli("check", ".", cwd=repo.root / "pkg").code == 0
    assert _check(cli, repo).code == 0


def test_recording_some_paths_keeps_the_entries_of_the_others(cli, repo) -> None:
    _legacy(repo, {"lib/other.py": branchy("o", 10), "lib/gone.py": branchy("z", 10)})
    cli("baseline", cwd=repo.root)
    (repo.root / "pkg/core.py").write_text(branchy("f", 11))  # Parser.parse removed
    (repo.root / "lib/gone.py").unlink()
    cli("baseline", "pkg", cwd=repo.root)
    assert _entries(repo.root) == [("lib/other.py", "o", "QG001", 11), ("pkg/core.py", "f", "QG001", 12)]


def test_the_baseline_key_moves_the_file(cli, repo) -> None:
    _legacy(repo)
    (repo.root / "pyproject.toml").write_text(CONFIG + 'baseline = "quality/baseline.json"\n')
    cli("baseline", cwd=repo.root)
    assert (repo.root / "quality/baseline.json").is_file() and not (repo.root / BASELINE).exists()
    assert _check(cli, repo).code == 0


def test_a_broken_baseline_is_an_error_and_recording_replaces_it(cli, repo) -> None:
    _legacy(repo)
    (repo.root / BASELINE).write_text('{\n<<<<<<< HEAD\n  "entries": [],\n=======\n')
    result = _check(cli, repo)
    assert result.code == 2
    assert f"{repo.root / BASELINE}:2: the baseline is not valid JSON" in result.err
    assert "Traceback" not in result.err
    assert cli("baseline", "--prune", cwd=repo.root).code == 2  # prune needs the old entries
    result = cli("baseline", cwd=repo.root)
    assert result.code == 0 and "recording a new one" in result.err
    assert _check(cli, repo).code == 0


def test_a_baseline_of_the_wrong_shape_is_an_error(cli, repo) -> None:
    _legacy(repo)
    (repo.root / BASELINE).write_text('{"version": 1, "entries": [{"path": "pkg/core.py"}]}')
    result = _check(cli, repo)
    assert result.code == 2 and "entries[0]: expected" in result.err


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1" + "0" * 400, '"12"', "true"])
def test_a_recorded_value_that_is_not_a_finite_number_is_an_error(cli, repo, value: str) -> None:
    """NaN compares false with every value, so it would baseline any offender (issue 12)."""
    _legacy(repo)
    entry = f'{{"path": "pkg/core.py", "symbol": "f", "rule": "QG001", "value": {value}}}'
    (repo.root / BASELINE).write_text(f'{{"version": 1, "entries": [{entry}]}}')
    result = _check(cli, repo)
    assert result.code == 2 and "entries[0]: expected" in result.err and "finite number" in result.err
    assert "Traceback" not in result.err


def test_a_file_renamed_in_git_counts_as_new(cli, repo) -> None:
    _legacy(repo)
    cli("baseline", cwd=repo.root)
    repo.git("mv", "pkg/core.py", "pkg/engine.py")
    result = _check(cli, repo)
    assert result.code == 1
    assert {v["path"] for v in result.json()["violations"]} == {"pkg/engine.py"}


_GETTER = "".join(f"        if self.x == {i}:\n            return {i}\n" for i in range(10))
_SETTER = "".join(f"        if v == {i}:\n            self.x = {i}\n" for i in range(12))
PROP = ("class P:\n    @property\n    def value(self):\n" + _GETTER + "        return -1\n\n"
        "    @value.setter\n    def value(self, v):\n" + _SETTER + "        self.x = v\n")  # fmt: skip


def test_functions_sharing_a_qualname_have_an_entry_each(cli, repo) -> None:
    _legacy(repo, {"pkg/prop.py": PROP})
    cli("baseline", cwd=repo.root)
    # The getter is P.value (CC 11), the setter P.value#2 (CC 13): issue 12's function ids.
    assert [(e[1], e[3]) for e in _entries(repo.root) if e[1].startswith("P.value")] == [
        ("P.value", 11), ("P.value#2", 13)]  # fmt: skip
    assert _check(cli, repo).code == 0
    (repo.root / "pkg/prop.py").write_text(PROP.replace("return -1", "if self.x: return 1\n        return -1"))
    result = _check(cli, repo)
    assert result.code == 1  # the getter went from 11 to 12: within the setter's 13, but it is the getter
    (v,) = result.json()["violations"]
    assert (v["symbol"], v["value"], v["baseline_value"]) == ("P.value", 12, 11)


def test_a_baseline_from_before_function_ids_still_matches_by_qualname(cli, repo) -> None:
    _legacy(repo, {"pkg/prop.py": PROP})
    cli("baseline", cwd=repo.root)
    data = json.loads((repo.root / BASELINE).read_text())
    for entry in data["entries"]:  # as an older qualitygate wrote it: both entries say P.value
        entry["symbol"] = entry["symbol"].partition("#")[0]
    (repo.root / BASELINE).write_text(json.dumps(data))
    report = _check(cli, repo).json()
    assert report["passed"] and report["fixed"] == []
    assert sorted(v["symbol"] for v in report["baselined"] if v["symbol"].startswith("P.")) == ["P.value", "P.value#2"]


def test_a_baseline_listing_each_entry_twice_fixes_nothing(cli, repo) -> None:
    _legacy(repo)
    cli("baseline", cwd=repo.root)
    data = json.loads((repo.root / BASELINE).read_text())
    data["entries"] = data["entries"] * 2  # e.g. two baselines concatenated by a script
    (repo.root / BASELINE).write_text(json.dumps(data))
    result = _check(cli, repo)
    report = result.json()
    assert result.code == 0 and report["fixed"] == [] and report["summary"]["fixed"] == 0
    assert "fixed" not in result.err


def test_the_baseline_combines_with_suppressions(cli, repo) -> None:
    _legacy(repo)
    cli("baseline", cwd=repo.root)
    source = (repo.root / "pkg/core.py").read_text()
    (repo.root / "pkg/core.py").write_text(source.replace("def f(x):", "def f(x):  # qualitygate: ignore"))
    report = _check(cli, repo).json()
    assert [v["symbol"] for v in report["suppressed"]] == ["f"]
    assert [v["symbol"] for v in report["baselined"]] == ["Parser.parse"]
    assert report["fixed"] == []  # still an offender, only suppressed: not something to prune


def test_dumps_is_valid_json_and_empty_when_nothing_is_recorded() -> None:
    assert json.loads(dumps(Baseline())) == {"entries": [], "version": 1}
    one = Baseline((Entry("a b/ü.py", "f", "QG001", 11),))
    assert json.loads(dumps(one))["entries"] == [{"path": "a b/ü.py", "rule": "QG001", "symbol": "f", "value": 11}]


def test_a_result_with_baselined_and_fixed_offenders_round_trips(cli, repo) -> None:
    _legacy(repo)
    cli("baseline", cwd=repo.root)
    (repo.root / "pkg/core.py").write_text(branchy("f", 13))
    report = _check(cli, repo).json()
    assert report["fixed"] and report["violations"][0]["baseline_value"] == 12
    assert to_dict(from_dict(report)) == report


@pytest.mark.parametrize("kind", ["symlink-loop", "parent-is-a-file"])
def test_a_baseline_path_that_cannot_be_read_is_an_error_not_no_baseline(cli, repo, kind) -> None:
    """Only a missing baseline means "no baseline"; silently ignoring an unreadable one would
    fail every recorded offender at once (or pass them, had it been read)."""
    if kind == "symlink-loop":
        (repo.root / ".qualitygate-baseline.json").symlink_to(repo.root / "loop")
        (repo.root / "loop").symlink_to(repo.root / ".qualitygate-baseline.json")
    else:
        (repo.root / "pyproject.toml").write_text('[tool.qualitygate]\nbaseline = "notes.txt/baseline.json"\n')
        (repo.root / "notes.txt").write_text("a file, not a folder\n")
    result = cli("check", cwd=repo.root)
    assert result.code == 2 and "cannot read the baseline" in result.err
