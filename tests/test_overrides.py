"""Per-path thresholds: [[tool.qualitygate.overrides]] apply in order, and are validated like the rest."""
from __future__ import annotations

import pytest

from .gitrepo import CONFIG, GitRepo, branchy

CC11 = branchy("f", 10)
CC16 = branchy("g", 15)
LEGACY = 'paths = ["legacy/**"]'


def _run(cli, repo: GitRepo, overrides: str, *args: str, cwd_under: str = ""):
    repo.write({
        "pyproject.toml": CONFIG + overrides,
        "legacy/old.py": CC11 + "\n" + CC16,
        "legacy/vendor/lib.py": CC16,
        "src/new.py": CC11,
    })  # fmt: skip
    repo.commit()
    where = repo.root / cwd_under if cwd_under else repo.root
    return cli("check", *args, "-f", "json", cwd=where)


def _failing(result) -> list[tuple[str, str, float]]:
    return sorted((v["path"], v["symbol"], v["threshold"]) for v in result.json()["violations"])


def test_without_overrides_every_file_fails(cli, repo) -> None:
    assert _failing(_run(cli, repo, "")) == [
        ("legacy/old.py", "f", 10), ("legacy/old.py", "g", 10), ("legacy/vendor/lib.py", "g", 10),
        ("src/new.py", "f", 10),
    ]  # fmt: skip


def test_an_override_sets_thresholds_for_matching_paths_only(cli, repo) -> None:
    result = _run(cli, repo, f"[[tool.qualitygate.overrides]]\n{LEGACY}\ncomplexity_threshold = 12\n")
    assert _failing(result) == [
        ("legacy/old.py", "g", 12), ("legacy/vendor/lib.py", "g", 12), ("src/new.py", "f", 10),
    ]  # fmt: skip


def test_overrides_apply_in_order_and_the_last_match_wins(cli, repo) -> None:
    overrides = (
        f"[[tool.qualitygate.overrides]]\n{LEGACY}\ncomplexity_threshold = 20\n"
        '[[tool.qualitygate.overrides]]\npaths = ["legacy/vendor/"]\ncomplexity_threshold = 12\n'
    )
    assert _failing(_run(cli, repo, overrides)) == [("legacy/vendor/lib.py", "g", 12), ("src/new.py", "f", 10)]
    flipped = (
        '[[tool.qualitygate.overrides]]\npaths = ["legacy/vendor/"]\ncomplexity_threshold = 12\n'
        f"[[tool.qualitygate.overrides]]\n{LEGACY}\ncomplexity_threshold = 20\n"
    )
    assert _failing(_run(cli, repo, flipped)) == [("src/new.py", "f", 10)]


def test_an_override_keeps_the_keys_it_does_not_set(cli, repo) -> None:
    overrides = f"[[tool.qualitygate.overrides]]\n{LEGACY}\ncognitive_complexity_threshold = 1\n"
    result = _run(cli, repo, overrides)
    rules = {(v["path"], v["rule"], v["threshold"]) for v in result.json()["violations"]}
    assert ("legacy/old.py", "QG001", 10) in rules  # the config's complexity_threshold still applies
    assert ("legacy/old.py", "QG002", 1) in rules
    assert not any(path == "src/new.py" and rule == "QG002" for path, rule, _ in rules)


def test_globs_are_relative_to_the_project_root_from_any_folder(cli, repo) -> None:
    overrides = f"[[tool.qualitygate.overrides]]\n{LEGACY}\ncomplexity_threshold = 99\n"
    result = _run(cli, repo, overrides, ".", "../legacy", cwd_under="src")
    assert result.json()["summary"]["files"] == 3
    assert _failing(result) == [("new.py", "f", 10)]


def test_a_file_threshold_can_be_overridden(cli, repo) -> None:
    overrides = '[[tool.qualitygate.overrides]]\npaths = ["src/*.py"]\nmaintainability_threshold = 99\n'
    result = _run(cli, repo, overrides)
    assert [v["path"] for v in result.json()["violations"] if v["rule"] == "QG003"] == ["src/new.py"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{LEGACY}\ncomplexity_treshold = 12\n",
         "tool.qualitygate.overrides[1].complexity_treshold: unknown key; did you mean 'complexity_threshold'?"),
        (f"{LEGACY}\nexclude = ['x']\n", "tool.qualitygate.overrides[1].exclude: unknown key"),
        ("complexity_threshold = 12\n", "tool.qualitygate.overrides[1].paths: missing"),
        ("paths = []\ncomplexity_threshold = 12\n",
         "tool.qualitygate.overrides[1].paths: expected a non-empty list of globs, got list []"),
        ("paths = 'legacy/**'\n", "tool.qualitygate.overrides[1].paths: expected a non-empty list of globs"),
        ("paths = ['legacy/\\']\n", "tool.qualitygate.overrides[1].paths: bad glob 'legacy/\\\\'"),
        ("paths = ['']\n", "tool.qualitygate.overrides[1].paths: bad glob '': it matches no path"),
        (f"{LEGACY}\ncomplexity_threshold = 'high'\n",
         "tool.qualitygate.overrides[1].complexity_threshold: expected a non-negative integer, got str 'high'"),
    ],
    ids=["typo", "not-a-threshold", "no-paths", "empty-paths", "paths-not-a-list", "bad-glob",
         "empty-glob", "bad-value"],
)
def test_a_bad_override_exits_2_naming_the_file_and_dotted_key(cli, repo, body: str, message: str) -> None:
    first = "[[tool.qualitygate.overrides]]\npaths = ['src/']\ncomplexity_threshold = 5\n"
    result = _run(cli, repo, first + "[[tool.qualitygate.overrides]]\n" + body)
    assert result.code == 2
    assert result.out == ""
    assert "pyproject.toml: " + message in result.err
    assert "Traceback" not in result.err


def test_overrides_must_be_an_array_of_tables(cli, repo) -> None:
    result = _run(cli, repo, "overrides = 3\n")
    assert result.code == 2
    assert "tool.qualitygate.overrides: expected an array of tables ([[tool.qualitygate.overrides]])" in result.err
