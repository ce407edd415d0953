"""``qualitygate hotspots`` (issue 14): commits per function from a real git history, times
cognitive complexity; the history cache; the report's hotspots section."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from qualitygate.churn import hotspots as hotspots_module
from qualitygate.churn.gitlog import Hunk, parse_log
from qualitygate.churn.replay import LineMap, Touch
from qualitygate.store.cache import ENV_VAR

from .conftest import REPO
from .gitrepo import _ENV, CONFIG, GitRepo, nested

DAY = 86400
NOW = int(time.time())


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test's caches in its own folder; git never looks above tmp_path for a repository."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    return tmp_path / "cache"


def commit_as(repo: GitRepo, author: str, days_ago: int, message: str = "change") -> None:
    """Commit everything as ``author``, ``days_ago`` days ago (author and committer date)."""
    when = f"@{NOW - days_ago * DAY} +0000"
    env = {**os.environ, **_ENV, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    for args in (["add", "-A"], ["commit", "-q", "--no-verify", "--allow-empty", "-m", message]):
        subprocess.run(["git", *args], cwd=repo.root, env=env, check=True, capture_output=True)


def hotspots(cli, repo: GitRepo, *args: str) -> dict:
    result = cli("hotspots", "-f", "json", "--days", "0", *args, cwd=repo.root)
    assert result.code == 0, result.err
    return result.json()


def rows(document: dict) -> list[tuple[str, str, int, int]]:
    """(path, function, commits, authors) of each hotspot, in order."""
    return [(h["path"], h["function"], h["commits"], h["authors"]) for h in document["hotspots"]]


F = nested("f", 2)  # cognitive 3, 5 lines
G = nested("g", 3)  # cognitive 6, 6 lines
H = nested("h", 1)  # cognitive 1, 4 lines


def _story(repo: GitRepo) -> None:
    """Six commits whose touched functions are known: a change in g, one inserted above both (f
    and g move down), one in f, a rename, one in g under its new name."""
    repo.write({"pyproject.toml": CONFIG, "app.py": F + "\n\n" + G})
    commit_as(repo, "alice", 10, "f and g")
    repo.write({"app.py": F + "\n\n" + G.replace("return 0", "return -1")})
    commit_as(repo, "bob", 9, "g returns -1")
    repo.write({"app.py": H + "\n\n" + F + "\n\n" + G.replace("return 0", "return -1")})
    commit_as(repo, "alice", 8, "h above f: f and g move down six lines")
    repo.write({"app.py": H + "\n\n" + F.replace("return 0", "return 1") + "\n\n" + G.replace("return 0", "return -1")})
    commit_as(repo, "carol", 7, "f returns 1")
    (repo.root / "pkg").mkdir()
    repo.git("mv", "app.py", "pkg/app.py")
    commit_as(repo, "bob", 6, "move app.py into pkg")
    text = (repo.root / "pkg/app.py").read_text().replace("if x > 2:", "if x > 3:")
    repo.write({"pkg/app.py": text})
    commit_as(repo, "alice", 5, "g tests 3")


def test_commits_authors_and_order_follow_moves_and_renames(cli, repo) -> None:
    _story(repo)
    document = hotspots(cli, repo)
    assert rows(document) == [("pkg/app.py", "g", 3, 2), ("pkg/app.py", "f", 2, 2), ("pkg/app.py", "h", 1, 1)]
    g = document["hotspots"][0]
    assert (g["cognitive_complexity"], g["score"], g["line"]) == (6, 18, 14)
    assert g["last_change"] == time.strftime("%Y-%m-%d", time.gmtime(NOW - 5 * DAY))
    assert document["commits"] == 6 and document["window_days"] == 0 and document["since"] is None
    assert document["head"] == repo.git("rev-parse", "HEAD").strip()


def test_the_window_counts_only_its_commits(cli, repo) -> None:
    _story(repo)
    document = hotspots(cli, repo, "--days", "8")  # from midnight 8 days ago: the last four
    assert rows(document) == [("pkg/app.py", "g", 1, 1), ("pkg/app.py", "f", 1, 1), ("pkg/app.py", "h", 1, 1)]
    assert document["commits"] == 4
    assert hotspots(cli, repo, "--days", "1")["hotspots"] == []


def test_work_tree_changes_move_the_lines_but_count_no_commit(cli, repo) -> None:
    _story(repo)
    text = (repo.root / "pkg/app.py").read_text()
    repo.write({"pkg/app.py": "# one\n# two\n# three\n" + text.replace("return 1", "return 2")})
    document = hotspots(cli, repo)
    assert rows(document) == [("pkg/app.py", "g", 3, 2), ("pkg/app.py", "f", 2, 2), ("pkg/app.py", "h", 1, 1)]
    assert document["hotspots"][0]["line"] == 17


def test_a_merged_branch_is_read_in_its_own_line_numbers(cli, repo) -> None:
    """The branch changed g where g was before main inserted k above it; the merge's diff
    against the branch carries that change to g's lines today."""
    repo.write({"pyproject.toml": CONFIG, "app.py": F + "\n\n" + G})
    commit_as(repo, "alice", 10, "f and g")
    repo.git("checkout", "-q", "-b", "side")
    repo.write({"app.py": F + "\n\n" + G.replace("return 0", "return -1")})
    commit_as(repo, "bob", 9, "g returns -1, on a branch")
    repo.git("checkout", "-q", "main")
    repo.write({"app.py": nested("k", 2) + "\n\n" + F + "\n\n" + G})
    commit_as(repo, "carol", 8, "k above f and g")
    env = {**os.environ, **_ENV, "GIT_AUTHOR_NAME": "dave"}
    subprocess.run(["git", "merge", "-q", "--no-ff", "-m", "merge side", "side"], cwd=repo.root, env=env, check=True)
    assert "return -1" in (repo.root / "app.py").read_text()
    document = hotspots(cli, repo)
    assert rows(document) == [("app.py", "g", 2, 2), ("app.py", "k", 1, 1), ("app.py", "f", 1, 1)]
    assert document["commits"] == 3  # the merge itself changed nothing


def test_the_second_run_reads_the_cache_not_git_log(cli, repo, monkeypatch, _own_cache: Path) -> None:
    _story(repo)
    cold = cli("hotspots", "--days", "0", cwd=repo.root)
    assert cold.code == 0 and "came from git" in cold.err
    assert len(list(_own_cache.glob("churn-*.json"))) == 1

    def no_git_log(*args: object) -> None:
        raise AssertionError("git log ran on a warm run")

    monkeypatch.setattr(hotspots_module, "log_patches", no_git_log)
    warm = cli("hotspots", "--days", "0", cwd=repo.root)
    assert warm.code == 0 and "came from the cache" in warm.err
    assert warm.out == cold.out
    assert "rank" in warm.out and "pkg/app.py:14 g" in warm.out


def test_a_new_commit_or_another_window_reads_git_again(cli, repo, _own_cache: Path) -> None:
    _story(repo)
    first = hotspots(cli, repo)
    repo.write({"pkg/app.py": (repo.root / "pkg/app.py").read_text().replace("if x > 1:", "if x > 5:")})
    commit_as(repo, "dave", 1, "f and g test 5")
    again = hotspots(cli, repo)
    assert rows(again) == [("pkg/app.py", "g", 4, 3), ("pkg/app.py", "f", 3, 3), ("pkg/app.py", "h", 1, 1)]
    assert again["head"] != first["head"]
    hotspots(cli, repo, "--days", "30")
    assert len(list(_own_cache.glob("churn-*.json"))) == 3


def test_a_damaged_cache_is_a_warning_and_is_rebuilt(cli, repo, _own_cache: Path) -> None:
    _story(repo)
    expected = hotspots(cli, repo)
    for damage in ("{", '{"format": 1, "key": "x"}', "[]", "\xff"):
        [stored] = _own_cache.glob("churn-*.json")
        key = json.loads(stored.read_text())["key"]
        text = damage if damage != "[]" else json.dumps({"format": 1, "key": key, "commits": [[1, 2, 3]], "files": {}})
        stored.write_bytes(text.encode("latin-1"))
        result = cli("hotspots", "-f", "json", "--days", "0", cwd=repo.root)
        assert result.code == 0 and result.json() == expected
        assert ("cannot read the hotspots cache" in result.err) == (damage != '{"format": 1, "key": "x"}')


def test_no_cache_writes_no_history(cli, repo, _own_cache: Path) -> None:
    _story(repo)
    assert cli("hotspots", "--no-cache", cwd=repo.root).code == 0
    assert not list(_own_cache.glob("churn-*.json"))


def test_top_and_text_table(cli, repo) -> None:
    _story(repo)
    result = cli("hotspots", "--days", "0", "--top", "1", cwd=repo.root)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].startswith("hotspots (score = commits * cognitive complexity): 6 commits")
    assert lines[2].split() == ["rank", "score", "commits", "authors", "last", "change", "cognitive", "function"]
    assert lines[3].split()[:4] == ["1", "18", "3", "2"] and lines[3].endswith("pkg/app.py:14 g")
    assert len(lines) == 4


def test_advice_comes_with_a_hotspot_over_a_threshold(cli, repo) -> None:
    repo.write({"pyproject.toml": CONFIG, "app.py": nested("deep", 6)})  # cognitive 21 > 15
    commit_as(repo, "alice", 3)
    [hot] = hotspots(cli, repo)["hotspots"]
    assert hot["advice"].startswith("cognitive complexity 21 > 15: extract the most deeply nested")


def test_not_a_repository_or_no_git_is_exit_2(cli, project, monkeypatch, tmp_path: Path) -> None:
    folder = project({"app.py": F})
    result = cli("hotspots", cwd=folder)
    assert result.code == 2
    assert "not in a git work tree" in result.err and "Traceback" not in result.err
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    result = cli("hotspots", cwd=folder)
    assert result.code == 2 and "git was not found" in result.err


def test_a_repository_without_commits_has_no_hotspots(cli, repo) -> None:
    repo.write({"pyproject.toml": CONFIG, "app.py": F})
    result = cli("hotspots", "-f", "json", cwd=repo.root)
    assert result.code == 0 and result.json()["hotspots"] == []
    assert "no commit yet" in result.err


def test_bytes_that_are_not_utf8_in_diffs_and_names(cli, repo) -> None:
    latin = "# -*- coding: latin-1 -*-\n" + F.replace("return x", "return 'caf\xe9'")
    (repo.root / "pyproject.toml").write_text(CONFIG)
    (repo.root / "latin.py").write_bytes(latin.encode("latin-1"))
    odd = os.path.join(os.fsencode(repo.root), b"odd\xff.py")
    with open(odd, "wb") as handle:
        handle.write(G.encode())
    commit_as(repo, "alice", 4)
    (repo.root / "latin.py").write_bytes(latin.replace("caf\xe9", "th\xe9").encode("latin-1"))
    with open(odd, "wb") as handle:
        handle.write(G.replace("return 0", "return '\xe9'").encode())
    commit_as(repo, "bob", 3)
    cold = hotspots(cli, repo)
    found = rows(cold)
    assert ("latin.py", "f", 2, 2) in found
    assert ("odd\\xff.py", "g", 2, 2) in found
    assert hotspots(cli, repo) == cold  # the names and authors read back from the cache


def test_this_projects_own_history(cli) -> None:
    """Real functions of qualitygate, with the commits that changed them."""
    result = cli("hotspots", "qualitygate", "--days", "0", "--top", "10", "-f", "json", cwd=REPO)
    assert result.code == 0, result.err
    found = result.json()["hotspots"]
    assert found and all(h["commits"] > 0 and h["score"] > 0 for h in found)
    for h in found:
        line = (REPO / h["path"]).read_text(encoding="utf-8").splitlines()[h["line"] - 1]
        assert f"def {h['qualname'].rpartition('.')[2]}(" in line


# -- the report --------------------------------------------------------------------------------


def test_the_report_ranks_hotspots_first(cli, repo) -> None:
    repo.write({"pyproject.toml": CONFIG, "app.py": nested("calm", 7) + "\n\n" + nested("hot", 6)})
    commit_as(repo, "alice", 6)
    for number in range(3):
        text = (repo.root / "app.py").read_text().replace("def hot(x):", f"def hot(x):\n    x += {number}", 1)
        repo.write({"app.py": text})
        commit_as(repo, "bob", 5 - number)
    assert cli("report", "-o", "out", cwd=repo.root).code == 0
    data = json.loads((repo.root / "out/metrics_data.json").read_text())
    assert [(h["function"], h["commits"]) for h in data["hotspots"]["hotspots"]] == [("hot", 4), ("calm", 1)]
    # calm is further past its threshold (28 > 15), hot changes more: hot comes first.
    assert [r["symbol"] for r in data["recommendations"]] == ["hot", "calm"]
    page = (repo.root / "out/metrics_report.html").read_text()
    assert '<section id="hotspots">' in page and ">hot<" in page


def test_the_report_has_no_hotspots_outside_git(cli, project) -> None:
    folder = project({"app.py": F})
    assert cli("report", "-o", "out", cwd=folder).code == 0
    assert json.loads((folder / "out/metrics_data.json").read_text())["hotspots"] is None
    assert 'id="hotspots"' not in (folder / "out/metrics_report.html").read_text()


# -- the parts -----------------------------------------------------------------------------------


def test_the_log_is_read_by_structure() -> None:
    """Lines of code that look like patch headers stay code; renames, quoted names, deletions."""
    log = [
        "\x00c2\x00c1\x00Ann\x00200", "",
        "diff --git a/x.py b/x.py", "index 1..2 100644", "--- a/x.py", "+++ b/x.py",
        "@@ -1,0 +2,3 @@", "+diff --git a/evil.py b/evil.py", "++++ b/evil.py", "+@@ -1 +1 @@",
        "@@ -9 +12 @@", "-\0not a commit", "+\0nor this",
        "diff --git a/old.py b/new.py", "similarity index 100%", "rename from old.py", "rename to new.py",
        'diff --git "a/caf\\303\\251 \\"q\\".py" "b/caf\\303\\251 \\"q\\".py"', "deleted file mode 100644",
        'index 3..0', '--- "a/caf\\303\\251 \\"q\\".py"', "+++ /dev/null", "@@ -1,2 +0,0 @@", "-a", "-b",
        "\x00c1\x00\x00Bob\x00100", "", "diff --git a/x.py b/x.py", "new file mode 100644", "--- /dev/null",
        "+++ b/x.py", "@@ -0,0 +1 @@", "+x = 1", "\\ No newline at end of file",
    ]  # fmt: skip
    first, second = parse_log(log)
    assert first.commit.sha == "c2" and first.parents == ("c1",) and first.commit.time == 200
    assert [(f.old, f.new, f.hunks) for f in first.files] == [
        ("x.py", "x.py", (Hunk(1, 0, 2, 3), Hunk(9, 1, 12, 1))),
        ("old.py", "new.py", ()),
        ('café "q".py', None, (Hunk(1, 2, 0, 0),)),
    ]
    assert second.parents == () and [(f.old, f.new) for f in second.files] == [(None, "x.py")]


def test_line_maps_follow_modified_lines_and_drop_deleted_ones() -> None:
    identity = LineMap.identity()
    modified = identity.before([Hunk(3, 1, 3, 1)])
    assert [modified.line(n) for n in range(1, 6)] == [1, 2, 3, 4, 5]
    deleted = identity.before([Hunk(3, 2, 2, 0)])
    assert [deleted.line(n) for n in range(1, 6)] == [1, 2, None, None, 3]
    shorter = identity.before([Hunk(3, 3, 3, 1)])  # three lines rewritten as one
    assert [shorter.line(n) for n in range(1, 8)] == [1, 2, 3, 3, 3, 4, 5]
    inserted = identity.before([Hunk(2, 0, 3, 2)])  # two lines after line 2
    assert [inserted.line(n) for n in range(1, 5)] == [1, 2, 5, 6]
    both = inserted.before([Hunk(1, 1, 1, 1)])
    assert both.ranges(1, 4) == [(1, 2), (5, 6)]
    assert identity.before([Hunk(5, 0, 6, 1)]).union(identity).line(100) == 101


def test_a_touch_hits_a_function_by_its_lines_and_gaps() -> None:
    touch = Touch(0, ((3, 4), (10, 10)), (20,))
    assert touch.hits(1, 3) and touch.hits(4, 8) and touch.hits(10, 12) and touch.hits(19, 21)
    assert not touch.hits(5, 9) and not touch.hits(11, 20) and not touch.hits(21, 30)


def test_hotspot_advice_gives_the_changing_function_the_detailed_advice(cli, tmp_path: Path) -> None:
    """``hotspot_advice = true`` (issue 14): the worst DETAILED_LIMIT offenders get a statement
    breakdown; among them, the functions that change come first, however small their excess."""
    from qualitygate.suggestions.rules import DETAILED_LIMIT

    from .gitrepo import GitRepo, branchy

    repo = GitRepo(tmp_path / "hot")
    cold = [branchy(f"cold_{i:02}", 19) for i in range(DETAILED_LIMIT)]  # cyclomatic 20: far over
    config = "[tool.qualitygate]\nmaintainability_threshold = 0\n"
    for step in range(3):  # hot (cyclomatic 11: just over) changes in every commit
        repo.write({"pyproject.toml": config, "cold.py": "\n\n".join(cold) + "\n",
                    "hot.py": branchy("hot", 10, base=step)}).commit(f"step {step}")  # fmt: skip

    def hot_advice() -> str:
        report = cli("check", "-f", "json", cwd=repo.root).json()
        (advice,) = [s["text"] for s in report["suggestions"] if s["path"] == "hot.py"]
        return advice

    assert "at line" not in hot_advice()  # 50 colder offenders are worse: brief advice only
    repo.write({"pyproject.toml": config + "hotspot_advice = true\n"})
    assert "at line" in hot_advice()  # the one that changes comes first: its breakdown


def test_hotspot_advice_outside_git_is_a_warning(cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.qualitygate]\nhotspot_advice = true\n")
    (tmp_path / "m.py").write_text("def f(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12)))
    result = cli("check", cwd=tmp_path)
    assert result.code == 1 and "hotspot_advice:" in result.err and "Traceback" not in result.err
