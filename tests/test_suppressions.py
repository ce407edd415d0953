"""Inline suppressions: what each comment covers, and that suppressed offenders stay visible."""
from __future__ import annotations

import json

import pytest

from qualitygate.api import measure_source
from qualitygate.models import Scope
from qualitygate.serialize import file_from_dict, file_to_dict, from_dict, to_dict

from .gitrepo import CONFIG, GitRepo, branchy, nested

pytestmark = pytest.mark.crossversion  # also run on every other supported Python (.ci/run)

CC11 = branchy("f", 10)  # QG001 only
COG21 = nested("f", 6)  # QG002 only
BOTH = branchy("f", 10).replace("    return -1\n", "") + nested("_", 6).split("\n", 1)[1]


def _check(cli, repo: GitRepo, source: str, *args: str):
    repo.write({"pyproject.toml": CONFIG, "mod.py": source})
    return cli("check", "mod.py", "-f", "json", *args, cwd=repo.root)


def _rules(items: list[dict]) -> list[tuple[str, str]]:
    return sorted((v["rule"], v["symbol"]) for v in items)


def test_both_rules_fail_without_a_comment(cli, repo) -> None:
    report = _check(cli, repo, BOTH).json()
    assert _rules(report["violations"]) == [("QG001", "f"), ("QG002", "f")]


@pytest.mark.parametrize(
    "source",
    [
        BOTH.replace("def f(x):", "def f(x):  # qualitygate: ignore"),
        "# qualitygate: ignore\n" + BOTH,
        "# why: generated code\n# qualitygate: ignore\n" + BOTH,
        "@staticmethod  # qualitygate: ignore\n" + BOTH,
        "# qualitygate: ignore\n@staticmethod\n@classmethod\n" + BOTH,
        "@staticmethod\n# qualitygate: ignore\n" + BOTH,
        BOTH.replace("def f(x):", "def f(\n    x,  # qualitygate: ignore\n):"),
    ],
    ids=["def-line", "line-above", "comment-block-above", "decorator-line", "above-decorators",
         "between-decorator-and-def", "wrapped-signature"],
)
def test_a_bare_ignore_suppresses_every_function_rule(cli, repo, source: str) -> None:
    result = _check(cli, repo, source)
    assert result.code == 0, result.out
    report = result.json()
    assert report["violations"] == []
    assert _rules(report["suppressed"]) == [("QG001", "f"), ("QG002", "f")]
    assert report["summary"]["suppressed"] == 2
    assert "warning" not in result.err


@pytest.mark.parametrize(
    ("names", "left"),
    [
        ("cognitive_complexity", "QG001"),
        ("QG002", "QG001"),
        ("cyclomatic-complexity", "QG002"),  # a rule name works too
        ("qg001", "QG002"),
    ],
)
def test_named_metrics_suppress_only_those(cli, repo, names: str, left: str) -> None:
    result = _check(cli, repo, BOTH.replace("def f(x):", f"def f(x):  # qualitygate: ignore[{names}]"))
    assert result.code == 1
    report = result.json()
    assert [v["rule"] for v in report["violations"]] == [left]
    assert len(report["suppressed"]) == 1 and report["suppressed"][0]["rule"] != left


def test_a_comma_separated_list_suppresses_each(cli, repo) -> None:
    source = "# qualitygate: ignore[cognitive_complexity, QG001]\n" + BOTH
    assert _check(cli, repo, source).code == 0


def test_an_unknown_name_is_a_warning_naming_the_line_and_the_rest_still_applies(cli, repo) -> None:
    source = "import os\n\n\n" + BOTH.replace("def f(x):", "def f(x):  # qualitygate: ignore[cognitiv, QG001]")
    result = _check(cli, repo, source)
    assert "mod.py:4: warning: unknown metric or rule 'cognitiv'" in result.err
    assert "did you mean 'cognitive_complexity'?" in result.err
    assert [v["rule"] for v in result.json()["violations"]] == ["QG002"]


def test_only_unknown_names_suppress_nothing(cli, repo) -> None:
    result = _check(cli, repo, BOTH.replace("def f(x):", "def f(x):  # qualitygate: ignore[lines]"))
    assert result.code == 1
    assert len(result.json()["violations"]) == 2
    assert "mod.py:1: warning: unknown metric or rule 'lines'" in result.err


def test_ignore_file_suppresses_the_whole_file_including_file_rules(cli, repo) -> None:
    source = '"""Doc."""\nimport os\n# qualitygate: ignore-file\n\n' + CC11 + "\n" + COG21.replace("def f", "def g")
    repo.write({"mod.py": source})  # default config: QG003 fails this file too
    result = cli("check", "mod.py", "-f", "json", cwd=repo.root)
    assert result.code == 0, result.out
    report = result.json()
    assert _rules(report["suppressed"]) == [("QG001", "f"), ("QG002", "g"), ("QG003", "mod.py")]
    assert report["summary"]["suppressed"] == 3


def test_ignore_file_after_code_is_a_warning_and_suppresses_nothing(cli, repo) -> None:
    result = _check(cli, repo, CC11 + "# qualitygate: ignore-file\n")
    assert result.code == 1
    assert "mod.py:23: warning: qualitygate suppression ignored: ignore-file must come before" in result.err


def test_a_comment_separated_by_a_blank_line_does_not_apply(cli, repo) -> None:
    result = _check(cli, repo, "# qualitygate: ignore\n\n" + CC11)
    assert result.code == 1
    assert "mod.py:1: warning: qualitygate suppression ignored: not on a def line" in result.err


def test_a_misspelt_directive_is_a_warning(cli, repo) -> None:
    result = _check(cli, repo, CC11.replace("def f(x):", "def f(x):  # qualitygate: ingore"))
    assert result.code == 1
    assert "mod.py:1: warning: qualitygate suppression ignored: not a qualitygate directive" in result.err


def test_text_in_strings_and_prose_comments_is_not_a_directive(cli, repo) -> None:
    source = (
        'HELP = """\n# qualitygate: ignore\n"""\n'
        + CC11.replace("def f(x):", "def f(x):\n    s = '# qualitygate: ignore'  # see the qualitygate: docs")
    )
    result = _check(cli, repo, source)
    assert result.code == 1
    assert result.err == ""


def test_a_suppression_on_the_outer_function_does_not_cover_a_nested_one(cli, repo) -> None:
    inner = "".join(f"        if y == {i}:\n            return {i}\n" for i in range(10))
    source = f"def outer():  # qualitygate: ignore\n    def inner(y):\n{inner}        return -1\n    return inner\n"
    report = _check(cli, repo, source).json()
    assert _rules(report["violations"]) == [("QG001", "outer.<locals>.inner")]


def test_the_text_summary_counts_suppressed_offenders(cli, repo) -> None:
    repo.write({"pyproject.toml": CONFIG, "mod.py": "# qualitygate: ignore\n" + BOTH})
    result = cli("check", "mod.py", cwd=repo.root)
    assert result.code == 0
    assert "0 violations, 2 suppressed, 0 errors" in result.out


def test_suppressions_are_read_in_worker_processes_and_kept_by_the_cache(cli, repo) -> None:
    files = {f"pkg/m{i}.py": ("# qualitygate: ignore\n" if i % 2 else "") + CC11 for i in range(10)}
    repo.write({"pyproject.toml": CONFIG, **files})
    for _ in range(2):  # the second run reads every file's metrics from the cache
        report = cli("check", "pkg", "-j", "2", "-f", "json", cwd=repo.root).json()
        assert len(report["violations"]) == 5
        assert sorted(v["path"] for v in report["suppressed"]) == [f"pkg/m{i}.py" for i in (1, 3, 5, 7, 9)]


def test_suppressions_round_trip_through_json() -> None:
    metrics = measure_source("# qualitygate: ignore[QG001]\n" + CC11 + "# qualitygate: ignore-file\n")
    assert [(s.scope, s.target, s.names, bool(s.problem)) for s in metrics.suppressions] == [
        (Scope.FUNCTION, 2, ("QG001",), False),
        (Scope.FILE, 0, (), True),
    ]
    assert file_from_dict(json.loads(json.dumps(file_to_dict(metrics)))) == metrics


def test_a_result_with_suppressed_offenders_round_trips(cli, repo) -> None:
    report = _check(cli, repo, "# qualitygate: ignore[QG002]\n" + BOTH).json()
    assert to_dict(from_dict(report)) == report
