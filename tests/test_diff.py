"""``check --diff REF``: only code changed since the merge-base is gated, using a real git."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualitygate.gate.diff import FileChange, parse_diff

from .gitrepo import CONFIG, GitRepo, branchy

LEGACY = branchy("old", 10)  # cyclomatic 11, lines 1-22
CLEAN = "def small(x):\n    return x\n"


def _branch(repo: GitRepo, files: dict[str, str] | None = None) -> GitRepo:
    """main: a legacy offender; then a feature branch is checked out."""
    repo.write({"pyproject.toml": CONFIG, "pkg/legacy.py": LEGACY + "\n\n" + CLEAN, **(files or {})})
    repo.commit("legacy on main")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def _diff(cli, repo: GitRepo, *args: str, ref: str = "main", cwd: Path | None = None):
    """``--diff`` under the "touched" policy: these tests are about which lines a change touches
    (the legacy offender here failed at the base too; tests/test_delta.py has the new-code policy)."""
    return cli("check", "--diff", ref, "--diff-policy", "touched", "-f", "json", *args, cwd=cwd or repo.root)


def _gated(result) -> list[tuple[str, str]]:
    return [(v["path"], v["symbol"]) for v in result.json()["violations"]]


def _info(result) -> list[tuple[str, str]]:
    return [(v["path"], v["symbol"]) for v in result.json()["informational"]]


def test_untouched_offenders_are_information_only(cli, repo) -> None:
    _branch(repo)
    repo.write({"pkg/new.py": branchy("fresh", 10)}).commit("new code")
    result = _diff(cli, repo)
    assert result.code == 1
    assert _gated(result) == [("pkg/new.py", "fresh")]
    assert _info(result) == [("pkg/legacy.py", "old")]
    assert result.json()["summary"]["informational"] == 1
    assert _diff(cli, repo, "--no-cache").code == 1


def test_only_untouched_offenders_pass(cli, repo) -> None:
    _branch(repo)
    repo.write({"pkg/legacy.py": LEGACY + "\n\n" + CLEAN.replace("return x", "return x + 1")})
    repo.commit("touch only the clean function")
    result = _diff(cli, repo)
    assert result.code == 0, result.out
    assert _info(result) == [("pkg/legacy.py", "old")]


@pytest.mark.parametrize("commit", [True, False], ids=["committed", "uncommitted"])
def test_a_change_inside_a_function_gates_it(cli, repo, commit: bool) -> None:
    _branch(repo)
    repo.write({"pkg/legacy.py": LEGACY.replace("return 5", "return 55") + "\n\n" + CLEAN})
    if commit:
        repo.commit("edit the legacy function")
    result = _diff(cli, repo)
    assert result.code == 1
    assert _gated(result) == [("pkg/legacy.py", "old")]


def test_a_staged_change_counts_too(cli, repo) -> None:
    _branch(repo)
    repo.write({"pkg/legacy.py": LEGACY.replace("return 5", "return 55") + "\n\n" + CLEAN})
    repo.git("add", "pkg/legacy.py")
    assert _gated(_diff(cli, repo)) == [("pkg/legacy.py", "old")]


def test_an_untracked_file_counts_as_changed_entirely(cli, repo) -> None:
    _branch(repo)
    repo.write({"pkg/draft.py": branchy("draft", 10)})
    assert _gated(_diff(cli, repo)) == [("pkg/draft.py", "draft")]


def test_a_decorator_edit_touches_its_function(cli, repo) -> None:
    _branch(repo, {"pkg/deco.py": "import functools\n\n\n@functools.cache\n" + branchy("cached", 10)})
    repo.write({"pkg/deco.py": "import functools\n\n\n@functools.lru_cache(maxsize=8)\n" + branchy("cached", 10)})
    result = _diff(cli, repo)
    assert _gated(result) == [("pkg/deco.py", "cached")]


def test_code_moving_down_does_not_touch_a_function(cli, repo) -> None:
    _branch(repo)
    repo.write({"pkg/legacy.py": '"""Now documented."""\nimport os\n\n\n' + LEGACY + "\n\n" + CLEAN})
    result = _diff(cli, repo)
    assert result.code == 0, result.out
    assert [v["line"] for v in result.json()["informational"]] == [5]


def test_a_deletion_inside_a_function_touches_it_but_one_after_it_does_not(cli, repo) -> None:
    _branch(repo, {"pkg/gap.py": branchy("a", 11) + "\nX = 1\n\n" + CLEAN})
    repo.write({"pkg/gap.py": branchy("a", 11) + "\n\n" + CLEAN})  # "X = 1" after a's end removed
    assert _gated(_diff(cli, repo)) == []
    repo.write({"pkg/gap.py": branchy("a", 11).replace("    if x == 3:\n        return 3\n", "")
                + "\nX = 1\n\n" + CLEAN})  # fmt: skip
    assert _gated(_diff(cli, repo)) == [("pkg/gap.py", "a")]


def test_a_file_rule_is_gated_when_the_file_has_any_change(cli, repo) -> None:
    _branch(repo, {"pkg/other.py": LEGACY.replace("def old", "def other")})
    (repo.root / "pyproject.toml").write_text("[tool.qualitygate]\ncomplexity_threshold = 99\n")
    repo.commit("only the file rule")
    repo.write({"pkg/legacy.py": LEGACY + "\n\n" + CLEAN + "\nY = 2\n"})
    result = _diff(cli, repo)
    assert [(v["path"], v["rule"]) for v in result.json()["violations"]] == [("pkg/legacy.py", "QG003")]
    assert [(v["path"], v["rule"]) for v in result.json()["informational"]] == [("pkg/other.py", "QG003")]


def test_a_renamed_file_without_edits_is_not_touched(cli, repo) -> None:
    _branch(repo)
    repo.git("mv", "pkg/legacy.py", "pkg/moved.py")
    repo.commit("move")
    result = _diff(cli, repo, "--no-baseline")
    assert result.code == 0
    assert _info(result) == [("pkg/moved.py", "old")]


def test_paths_map_from_a_subfolder_and_odd_file_names(cli, repo) -> None:
    _branch(repo)
    repo.write({"pkg/spaced name ü.py": branchy("odd", 10)}).commit("odd name")
    result = _diff(cli, repo, ".", cwd=repo.root / "pkg")
    assert _gated(result) == [("spaced name ü.py", "odd")]
    assert _info(result) == [("legacy.py", "old")]


def test_text_output_marks_information_only_offenders(cli, repo) -> None:
    _branch(repo)
    result = cli("check", "--diff", "main", cwd=repo.root)
    assert result.code == 0
    assert "pkg/legacy.py:1:1: QG001 info old cyclomatic_complexity 11 > 10 (not changed since the --diff base; not gated)" in result.out
    assert "0 violations, 1 not changed (info), 0 errors" in result.out


def test_diff_and_the_baseline_combine(cli, repo) -> None:
    _branch(repo, {"pkg/more.py": branchy("more", 12)})
    assert cli("baseline", cwd=repo.root).code == 0
    repo.commit("record the baseline")
    # more: touched but no worse -> baselined; old: untouched -> information; new: gated.
    repo.write({"pkg/more.py": branchy("more", 12).replace("return 5", "return 55"),
                "pkg/new.py": branchy("new", 10)})  # fmt: skip
    report = _diff(cli, repo).json()
    assert [v["symbol"] for v in report["violations"]] == ["new"]
    assert [v["symbol"] for v in report["baselined"]] == ["more"]
    assert [v["symbol"] for v in report["informational"]] == ["old"]
    assert report["fixed"] == []
    repo.write({"pkg/more.py": branchy("more", 13)})  # touched and worse -> fails
    report = _diff(cli, repo).json()
    assert [(v["symbol"], v["baseline_value"]) for v in report["violations"]] == [("more", 13), ("new", None)]


def test_a_missing_ref_is_a_clear_error(cli, repo) -> None:
    _branch(repo)
    result = _diff(cli, repo, ref="origin/develop")
    assert result.code == 2
    assert result.out == ""
    assert "--diff origin/develop: no such branch, tag or commit here" in result.err
    assert "git fetch origin develop" in result.err
    assert "Traceback" not in result.err


def test_a_ref_that_looks_like_an_option_is_refused(cli, repo) -> None:
    _branch(repo)
    result = _diff(cli, repo, ref="--output=/tmp/x")
    assert result.code == 2 and "expected a branch, tag or commit" in result.err


def test_outside_a_git_repository_is_a_clear_error(cli, tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    (tmp_path / "a.py").write_text(CLEAN)
    result = cli("check", "--diff", "main", cwd=tmp_path)
    assert result.code == 2 and "--diff needs a git repository" in result.err


def test_a_shallow_clone_says_to_fetch_more_history(cli, repo, tmp_path) -> None:
    _branch(repo)
    repo.write({"pkg/new.py": branchy("fresh", 10)}).commit("feature work")
    repo.git("checkout", "-q", "main")
    repo.write({"pkg/main_only.py": CLEAN}).commit("main moves on")
    clone = tmp_path / "clone"
    repo.git("clone", "-q", "--depth", "1", "--branch", "feature", f"file://{repo.root}", str(clone))
    in_clone = GitRepo(clone, branch=None)
    result = _diff(cli, in_clone, ref="origin/main", cwd=clone)
    assert result.code == 2
    assert "no such branch, tag or commit here; this clone is shallow" in result.err
    assert "fetch-depth: 0" in result.err
    in_clone.git("fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    result = _diff(cli, in_clone, ref="origin/main", cwd=clone)
    assert result.code == 2
    assert "the merge-base of origin/main and HEAD is not in this clone" in result.err
    assert "fetch-depth: 0" in result.err and "git fetch --unshallow" in result.err
    in_clone.git("fetch", "-q", "--unshallow", "origin", "main:refs/remotes/origin/main")
    result = _diff(cli, in_clone, ref="origin/main", cwd=clone)
    assert result.code == 1
    assert _gated(result) == [("pkg/new.py", "fresh")]


PATCH = r'''diff --git a/pkg/a.py b/pkg/a.py
index 1..2 100644
--- a/pkg/a.py
+++ b/pkg/a.py
@@ -3 +3 @@ def f():
-    return 1
+    return 2
@@ -10,2 +9,0 @@ def g():
-    x = 1
-    y = 2
@@ -20,0 +19,3 @@ def h():
+    a
+    b
+    c
diff --git a/gone.py b/gone.py
deleted file mode 100644
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-x = 1
diff --git "a/odd \"name\"\tü.py" "b/odd \"name\"\t\303\274.py"
--- "a/odd \"name\"\t\303\274.py"
+++ "b/odd \"name\"\t\303\274.py"
@@ -1 +1 @@
-x = 1
+x = 2
'''


def test_parse_diff_reads_ranges_deletions_and_quoted_names() -> None:
    assert parse_diff(PATCH) == [
        ("pkg/a.py", FileChange(ranges=((3, 3), (19, 21)), gaps=(9,), base_path="pkg/a.py")),
        ("", FileChange(ranges=(), gaps=(0,), base_path="gone.py")),  # deleted: named by its base path
        ('odd "name"\tü.py', FileChange(ranges=((1, 1),), base_path='odd "name"\tü.py')),
    ]


@pytest.mark.parametrize(
    ("first", "last", "touched"),
    [(1, 2, False), (1, 3, True), (4, 9, False), (9, 10, True), (10, 18, False), (21, 30, True)],
)
def test_a_change_touches_a_span_it_overlaps(first: int, last: int, touched: bool) -> None:
    change = parse_diff(PATCH)[0][1]
    assert change.touches(first, last) is touched


FORGED = (
    "diff --git a/pkg/a.py b/pkg/a.py\n--- a/pkg/a.py\n+++ b/pkg/a.py\n"
    "@@ -2,0 +3,2 @@\n+++ b/README.md\n+--- a/README.md\n"  # added lines that look like headers
    "@@ -30 +31 @@\n-    return 1\n+    return 2\r  # a CR inside the line\n"
    "diff --git a/pkg/b.py b/pkg/b.py\n--- a/pkg/b.py\n+++ b/pkg/b.py\n@@ -1 +1 @@\n-x\n+y\n"
)


def test_added_lines_that_look_like_headers_stay_lines_of_their_file() -> None:
    """A patch is read by its structure (issue 12): hunk bodies are skipped by their counts."""
    assert parse_diff(FORGED) == [
        ("pkg/a.py", FileChange(ranges=((3, 4), (31, 31)), base_path="pkg/a.py")),
        ("pkg/b.py", FileChange(ranges=((1, 1),), base_path="pkg/b.py")),
    ]


def test_a_docstring_line_reading_like_a_diff_header_cannot_hide_a_worse_function(cli, repo) -> None:
    """The attack of issue 12: a docstring line ``++ b/README.md`` once made later hunks of the
    file count as another file's, so a function made worse passed as not changed."""
    module = '"""Notes."""\n\n\n' + CLEAN + "\n\n" + branchy("grown", 3) + "\n\n" + CLEAN.replace("small", "tail")
    _branch(repo, {"pkg/mod.py": module, "README.md": "readme\n"})
    forged = module.replace('"""Notes."""', '"""Notes.\n\n++ b/README.md\n--- a/README.md\nend\r of notes\n"""')
    repo.write({"pkg/mod.py": forged.replace(branchy("grown", 3), branchy("grown", 12))}).commit("grow")
    result = _diff(cli, repo)
    assert result.code == 1
    assert ("pkg/mod.py", "grown") in _gated(result)


def test_a_changed_file_whose_name_is_spelled_differently_is_still_gated(cli, repo) -> None:
    """Display paths escape a non-UTF-8 byte and double a backslash that reads like an escape;
    --diff must still find those files among the changed ones (issue 12)."""
    _branch(repo)
    names = ["bs\\x41.py"]
    try:
        (repo.root / os.fsdecode(b"bad\xff.py")).write_text(CLEAN)
        names.append(os.fsdecode(b"bad\xff.py"))
    except (OSError, UnicodeError):
        pass  # a file system that refuses such names: the backslash case still runs
    for name in names:
        (repo.root / name).write_text(CLEAN)
    repo.commit("odd names")
    for name in names:
        (repo.root / name).write_text(branchy("grown", 12))
    result = _diff(cli, repo, "--no-cache", ref="HEAD")
    assert result.code == 1
    assert len([v for v in result.json()["violations"] if v["symbol"] == "grown"]) == len(names)
