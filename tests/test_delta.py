"""``--diff`` deltas against the merge-base (issue 14): both sides measured, functions paired,
``changes`` and ``base_value`` in the JSON, the new-code policy, ``--fail-on-worse`` and the
``pr-comment`` format, in a real git repository."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qualitygate.outputs import ReportContext
from qualitygate.outputs.pr_comment import LIMIT, MARKER, comment
from qualitygate.serialize import from_dict, to_dict

from .conftest import SCHEMAS, subprocess_env
from .gitrepo import CONFIG, GitRepo, branchy


def _module(*functions: str) -> str:
    return "\n\n".join(functions) + "\n"


@pytest.fixture
def pr(repo: GitRepo) -> GitRepo:
    """A base with two legacy offenders (a, b: cyclomatic 12) and a clean c; a pull request that
    worsens a (13), improves b (11, still over 10), renames c and adds a new offender d (12),
    and deletes old.py."""
    repo.write({"pyproject.toml": CONFIG, "mod.py": _module(branchy("a", 11), branchy("b", 11), branchy("c", 4)),
                "old.py": branchy("gone", 3)}).commit("base")  # fmt: skip
    repo.git("checkout", "-q", "-b", "feature")
    repo.write({"mod.py": _module(branchy("a", 12), branchy("b", 10), branchy("c_renamed", 4), branchy("d", 11))})
    repo.git("rm", "-q", "old.py")
    return repo.commit("pull request")


def _check(cli, repo: GitRepo, *args: str):
    return cli("check", "--diff", "main", "-f", "json", *args, cwd=repo.root)


def test_changes_and_base_values_of_a_pull_request(cli, pr: GitRepo) -> None:
    result = _check(cli, pr)
    report = result.json()
    # Only the worsened legacy offender and the new one fail (the new-code policy).
    assert result.code == 1
    assert [(v["symbol"], v["value"], v["base_value"]) for v in report["violations"]] == [("a", 13, 12), ("d", 12, None)]
    assert [(v["symbol"], v["value"], v["base_value"]) for v in report["preexisting"]] == [("b", 11, 12)]
    changes = {(c["path"], c["symbol"]): (c["status"], c["metrics"]["cyclomatic_complexity"]) for c in report["changes"]}
    assert changes == {
        ("mod.py", "mod.py"): ("modified", [27, 38]),
        ("mod.py", "a"): ("modified", [12, 13]),
        ("mod.py", "b"): ("modified", [12, 11]),
        ("mod.py", "c_renamed"): ("modified", [5, 5]),  # paired with c by its body: a rename
        ("mod.py", "d"): ("added", [None, 12]),
        ("old.py", "old.py"): ("removed", [4, None]),
        ("old.py", "gone"): ("removed", [4, None]),
    }
    assert to_dict(from_dict(report)) == report  # the added keys round-trip (JSON version 1)


def test_the_touched_policy_keeps_todays_behaviour(cli, pr: GitRepo) -> None:
    report = _check(cli, pr, "--diff-policy", "touched").json()
    assert [v["symbol"] for v in report["violations"]] == ["a", "b", "d"]
    assert report["preexisting"] == []


def test_fail_on_worse_catches_growth_under_the_threshold(cli, pr: GitRepo) -> None:
    pr.write({"small.py": branchy("s", 2)}).commit("small")
    pr.git("branch", "-f", "main")  # the base now holds s at cyclomatic 3
    pr.write({"small.py": branchy("s", 4)})  # 5: under 10, but worse
    report = _check(cli, pr, "--fail-on-worse").json()
    worse = [(v["rule"], v["symbol"], v["metric"], v["value"], v["base_value"]) for v in report["violations"]]
    assert ("QG010", "s", "cyclomatic_complexity", 5, 3) in worse
    assert not _check(cli, pr, "--fail-on-worse", "--worse-tolerance", "2").json()["violations"]
    assert cli("check", "--fail-on-worse", cwd=pr.root).code == 2  # needs --diff


def test_the_pr_comment_shows_the_worse_the_new_and_the_improved(cli, pr: GitRepo) -> None:
    result = cli("check", "--diff", "main", "-f", "pr-comment", cwd=pr.root)
    text = result.out
    assert result.code == 1 and text.startswith(MARKER + "\n")
    assert "12 → 13 🔺" in text and "12 → 11 🟢" in text  # a worse, b improved
    assert "`d`" in text and "(new)" in text and "(was 12 at the merge-base)" in text
    improved = text.split("### Improved", 1)[1]
    assert "`b`" in improved and "`a`" not in improved


def test_the_pr_comment_renders_as_commonmark_without_injection(cli, pr: GitRepo) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    text = cli("check", "--diff", "main", "-f", "pr-comment", cwd=pr.root).out
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(text)
    assert "<table>" in html and "<code>d</code>" in html
    assert "<script" not in html and "<img" not in html


def test_three_hundred_changed_functions_fit_one_readable_comment(cli, repo: GitRepo) -> None:
    repo.write({"pyproject.toml": CONFIG, "big.py": _module(*(branchy(f"f{i:03}", 2) for i in range(300)))})
    repo.commit("base")
    repo.write({"big.py": _module(*(branchy(f"f{i:03}", 3 + i % 12) for i in range(300)))})
    text = cli("check", "--diff", "HEAD", "-f", "pr-comment", cwd=repo.root).out
    assert len(text) <= LIMIT and "<details><summary>" in text
    assert "**300 functions changed**: 300 worse" in text
    head = text.split("<details>", 1)[0]
    assert head.count("\n| ") <= 60  # the summary tables stay short; the rest is folded


def test_a_comment_past_the_limit_is_cut_with_a_note(cli, pr: GitRepo) -> None:
    report = from_dict(_check(cli, pr).json())
    short = comment(report, ReportContext(), limit=400)
    assert len(short) <= 400 and short.endswith("list everything._\n")


def test_the_base_is_read_from_git_not_the_working_tree_and_cached(cli, pr: GitRepo) -> None:
    first = _check(cli, pr).out
    blobs = [p for p in pr.root.glob(".qualitygate_cache/metrics-*/*.json") if '"blob:' in p.read_text()]
    assert blobs  # the merge-base's files are cached by blob id
    assert _check(cli, pr).out == first
    assert _check(cli, pr, "--no-cache").out == first
    assert subprocess.run(["git", "status", "--porcelain"], cwd=pr.root, capture_output=True, text=True,
                          check=True).stdout == ""  # fmt: skip


def test_a_base_that_does_not_parse_gives_a_warning_and_no_deltas(cli, repo: GitRepo) -> None:
    repo.write({"pyproject.toml": CONFIG, "m.py": "def f(:\n"}).commit("broken base")
    repo.git("checkout", "-q", "-b", "fix")
    repo.write({"m.py": branchy("f", 11)}).commit("fixed")
    result = _check(cli, repo)
    assert "m.py: its version at the merge-base could not be measured" in result.err
    report = result.json()
    assert [v["base_value"] for v in report["violations"]] == [None]
    assert report["changes"] == []  # no base: no deltas rather than invented ones


def test_sarif_and_junit_stay_valid_with_a_worse_finding(cli, pr: GitRepo, tmp_path: Path) -> None:
    if not (SCHEMAS / "sarif-schema-2.1.0.json").is_file():
        pytest.skip("../shared/schemas is not beside this checkout")
    jsonschema = pytest.importorskip("jsonschema")
    xmlschema = pytest.importorskip("xmlschema")
    pr.write({"mod.py": (pr.root / "mod.py").read_text() + "\n\n" + branchy("late", 1)})
    done = subprocess.run([sys.executable, "-m", "qualitygate", "check", "--diff", "main", "--fail-on-worse",
                           "-f", f"sarif:{tmp_path / 'r.sarif'}", "-f", f"junit:{tmp_path / 'r.xml'}"],
                          cwd=pr.root, env=subprocess_env(), capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 1, done.stderr
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    assert "QG010" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    xmlschema.XMLSchema(str(SCHEMAS / "junit.xsd")).validate(str(tmp_path / "r.xml"))


# -- regressions found by attacking the feature: a wrong verdict is worse than a crash ------------


def _variants(*bodies: tuple[str, int, str]) -> str:
    """``if``/``elif``/``else`` branches each defining ``f`` (platform variants share a qualname)."""
    keywords = ["if sys.platform == 'a':", *(f"elif sys.platform == '{k}':" for k in "bcdefg")]
    out = ["import sys"]
    for index, (kind, branches, arg) in enumerate(bodies):
        out.append("else:" if kind == "else" else keywords[index])
        out += ["    " + line for line in branchy("f", branches).replace("(x)", f"({arg})").replace("x ==", f"{arg} ==").splitlines()]
    return "\n".join(out) + "\n"


def test_a_new_variant_above_a_legacy_one_fails_as_new(cli, repo: GitRepo) -> None:
    """A def inserted above others sharing its qualname shifts their ``#n`` ids: the new complex
    one must not be compared with the legacy one that held its id before."""
    repo.write({"pyproject.toml": CONFIG, "m.py": _variants(("if", 13, "x"), ("else", 1, "y"))}).commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write({"m.py": _variants(("if", 13, "z"), ("elif", 13, "x"), ("else", 1, "y"))}).commit("new variant")
    report = _check(cli, repo, "--fail-on-worse").json()
    assert [(v["rule"], v["symbol"], v["base_value"]) for v in report["violations"]] == [("QG001", "f", None)]
    assert report["preexisting"] == []


UNRELATED_OLD = '''def export_csv(rows, opts):
    out = []
    for row in rows:
        if row is None:
            continue
        if opts.get("skip_empty") and not row:
            continue
        if opts.get("upper"):
            row = [str(c).upper() for c in row]
        if opts.get("limit") and len(out) >= opts["limit"]:
            break
        if opts.get("dedupe") and row in out:
            continue
        out.append(",".join(map(str, row)))
    return out
'''


def test_an_unrelated_function_of_the_same_shape_is_not_its_predecessor(cli, repo: GitRepo) -> None:
    new = (UNRELATED_OLD.replace("export_csv", "import_json").replace("rows", "records").replace("row", "rec")
           .replace("opts", "flags").replace("out", "result"))  # fmt: skip
    repo.write({"pyproject.toml": "[tool.qualitygate]\ncomplexity_threshold = 5\nmaintainability_threshold = 0\n",
                "api.py": UNRELATED_OLD}).commit("base")  # fmt: skip
    repo.git("checkout", "-q", "-b", "feature")
    repo.write({"api.py": new}).commit("replace")
    report = _check(cli, repo).json()
    assert [(v["symbol"], v["base_value"]) for v in report["violations"]] == [("import_json", None)]
    assert report["preexisting"] == []


def test_a_file_git_calls_binary_is_still_diffed(cli, repo: GitRepo) -> None:
    repo.write({"pyproject.toml": CONFIG, ".gitattributes": "*.py -diff\n", "m.py": branchy("f", 2)}).commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write({"m.py": branchy("f", 13)}).commit("worse")
    report = _check(cli, repo).json()
    assert [(v["symbol"], v["value"], v["base_value"]) for v in report["violations"]] == [("f", 14, 3)]


def test_fail_on_worse_leaves_an_untouched_function_alone(cli, repo: GitRepo) -> None:
    stub = "@overload\ndef f(x: int) -> int: ...\n"
    repo.write({"pyproject.toml": CONFIG, "m.py": "from typing import overload\n" + stub + stub.replace("int", "str")
                + branchy("f", 7)}).commit("base")  # fmt: skip
    repo.git("checkout", "-q", "-b", "feature")
    repo.write({"m.py": "from typing import overload\n" + stub + branchy("f", 7)}).commit("one stub less")
    result = _check(cli, repo, "--fail-on-worse")
    assert result.code == 0 and result.json()["violations"] == []


def test_an_ignore_comment_covers_a_worse_finding(cli, repo: GitRepo) -> None:
    repo.write({"pyproject.toml": CONFIG, "m.py": branchy("f", 2)}).commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write({"m.py": branchy("f", 4).replace("def f(x):", "def f(x):  # qualitygate: ignore[QG010]")})
    report = _check(cli, repo, "--fail-on-worse").json()
    assert report["violations"] == [] and [v["rule"] for v in report["suppressed"]] == ["QG010", "QG010"]


def test_moving_many_functions_into_a_class_pairs_them_quickly(cli, repo: GitRepo) -> None:
    """100 functions moved into a class: every qualname changes; they pair by name, and the run
    stays fast (it once compared every body with every other, character by character)."""
    functions = [branchy(f"handler_{i}", 3, base=i) for i in range(100)]
    repo.write({"pyproject.toml": CONFIG, "svc.py": _module(*functions)}).commit("base")
    repo.write({"svc.py": "class Service:\n" + "".join("    " + line + "\n" if line else "\n"
                                                       for line in _module(*functions).splitlines())})  # fmt: skip
    report = cli("check", "--diff", "HEAD", "-f", "json", cwd=repo.root).json()
    statuses = {c["status"] for c in report["changes"] if c["symbol"] != c["path"]}
    assert statuses == {"modified"} and len(report["changes"]) == 101


@pytest.mark.parametrize("edit", ["short pair", "list in pair", "text base value"])
def test_a_hand_edited_shard_with_bad_changes_is_a_usage_error(cli, pr: GitRepo, tmp_path: Path, edit: str) -> None:
    report = _check(cli, pr).json()
    change = report["changes"][1]
    if edit == "short pair":
        change["metrics"]["cyclomatic_complexity"] = [1]
    elif edit == "list in pair":
        change["metrics"]["cyclomatic_complexity"] = [True, [1]]
    else:
        report["violations"][0]["base_value"] = "7"
    shard = tmp_path / "shard.json"
    shard.write_text(json.dumps(report))
    result = cli("merge", str(shard), "-f", "pr-comment", cwd=pr.root)
    assert result.code == 2 and "not a qualitygate JSON v1 report" in result.err


def test_a_cut_comment_closes_its_details_so_the_note_shows(cli, repo: GitRepo) -> None:
    repo.write({"pyproject.toml": CONFIG, "big.py": _module(*(branchy(f"f{i:03}", 2) for i in range(300)))})
    repo.commit("base")
    repo.write({"big.py": _module(*(branchy(f"f{i:03}", 3 + i % 12) for i in range(300)))})
    report = from_dict(cli("check", "--diff", "HEAD", "-f", "json", cwd=repo.root).json())
    text = comment(report, ReportContext(), limit=8_000)
    assert len(text) <= 8_000 and text.count("<details>") == text.count("</details>")
    assert text.rstrip().endswith("list everything._")
