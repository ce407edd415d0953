"""Migration from ruff and flake8 (issue 16): a noqa comment naming C901 exempts a function from
QG001 while ``honor_noqa`` is on, and ``# qualitygate:`` comments that suppress nothing are listed."""
from __future__ import annotations

import pytest

from qualitygate.metrics.analyze import measure_source
from qualitygate.metrics.options import MetricOptions

BRANCHY = "    if a:\n        return 1\n    if b:\n        return 2\n    return 3\n"
NOQA = {
    "m.py": (
        "def trailing(a, b):  # noqa: C901\n" + BRANCHY
        + "\n\ndef listed(a, b):  # NOQA:E501,C901 - long and branchy\n" + BRANCHY
        + "\n\ndef other_code(a, b):  # noqa: E501\n" + BRANCHY
        + "\n\n# noqa: C901\ndef above(a, b):\n" + BRANCHY
        + "\n\ndef wrapped(\n    a,\n    b,  # noqa: C901\n):\n" + BRANCHY
        + "\n\ndef cognitive_too(a, b):  # noqa: C901\n" + BRANCHY
    )
}


def _symbols(result, key: str = "violations") -> set[tuple[str, str]]:
    return {(v["symbol"], v["rule"]) for v in result.json()[key]}


def test_noqa_c901_on_the_def_exempts_only_qg001(project, cli) -> None:
    root = project(NOQA)
    result = cli("check", "--no-cache", "-f", "json", "--complexity-threshold", "2", "--cognitive-threshold", "1", cwd=root)
    failing = _symbols(result)
    # As in ruff: only a noqa on the def's own lines counts; E501 alone, or one above the def, does not.
    assert {s for s, rule in failing if rule == "QG001"} == {"other_code", "above"}
    # C901 is cyclomatic complexity only: cognitive complexity (QG002) still fails everywhere.
    assert {s for s, rule in failing if rule == "QG002"} == {"trailing", "listed", "other_code", "above", "wrapped", "cognitive_too"}
    assert _symbols(result, "suppressed") == {(s, "QG001") for s in ("trailing", "listed", "wrapped", "cognitive_too")}
    assert "C901" not in result.err  # a noqa comment is not one of ours to warn about


def test_honor_noqa_false_turns_it_off(project, cli) -> None:
    root = project({**NOQA, "pyproject.toml": "[tool.qualitygate]\nhonor_noqa = false\n"})
    result = cli("check", "--no-cache", "-f", "json", "--complexity-threshold", "2", cwd=root)
    assert result.json()["suppressed"] == []
    assert len(_symbols(result)) == 6


def test_honor_noqa_must_be_a_boolean(project, cli) -> None:
    root = project({**NOQA, "pyproject.toml": "[tool.qualitygate]\nhonor_noqa = 'yes'\n"})
    result = cli("check", "--no-cache", cwd=root)
    assert result.code == 2
    assert "honor_noqa" in result.err and "pyproject.toml" in result.err


def test_a_file_without_the_marker_or_code_has_no_suppressions() -> None:
    """The fast path: neither 'qualitygate:' nor 'C901' in the text means nothing is tokenized."""
    assert measure_source("def f(a):  # noqa\n    return a\n", "m.py", MetricOptions()).suppressions == ()
    found = measure_source("def f(a):  # noqa: C901\n    return a\n", "m.py", MetricOptions()).suppressions
    assert [(s.kind, s.target) for s in found] == [("noqa", 1)]


def test_c901_inside_a_string_is_not_a_comment() -> None:
    source = 'def f(a):\n    return "# noqa: C901"\n'
    assert measure_source(source, "m.py", MetricOptions()).suppressions == ()


UNUSED = {
    "u.py": (
        "def used(a, b):  # qualitygate: ignore[cyclomatic_complexity]\n" + BRANCHY
        + "\n\ndef simple(a):  # qualitygate: ignore[QG001]\n    return a\n"
        + "\n\ndef bare(a):  # qualitygate: ignore\n    return a\n"
        + "\n\ndef coverage_only(a):  # qualitygate: ignore[QG005]\n    return a\n"
        + "\n\ndef worse_only(a):  # qualitygate: ignore[QG010]\n    return a\n"
        + "\n\ndef unknown(a):  # qualitygate: ignore[cyclomatc]\n    return a\n"
    )
}


def test_comments_that_suppress_nothing_are_listed_with_their_lines(project, cli) -> None:
    root = project(UNUSED)
    result = cli("check", "--no-cache", "--complexity-threshold", "2", cwd=root)
    assert result.code == 0, result.out + result.err
    listed = sorted(line.split(":")[1] for line in result.err.splitlines() if "suppresses nothing" in line)
    # simple (line 9) and bare (line 13) exempt nothing. QG005 and QG010 were not checked in this
    # run (no coverage file, no --fail-on-worse), so those comments are not judged; the unknown
    # name gets its own did-you-mean warning instead.
    assert listed == ["13", "9"]
    assert "u.py:9: warning: qualitygate ignore suppresses nothing" in result.err
    assert "did you mean 'cyclomatic_complexity'" in result.err


def test_an_ignore_file_that_covers_nothing_is_listed(project, cli) -> None:
    root = project({"f.py": "# qualitygate: ignore-file[cognitive_complexity]\ndef f(a):\n    return a\n"})
    result = cli("check", "--no-cache", cwd=root)
    assert "f.py:1: warning: qualitygate ignore-file suppresses nothing" in result.err


@pytest.mark.parametrize("fmt", ["github", "text"])
def test_the_warning_reaches_ci_logs(project, cli, fmt: str) -> None:
    root = project(UNUSED)
    result = cli("check", "--no-cache", "--complexity-threshold", "2", "-f", fmt, cwd=root)
    lines = [line for line in result.err.splitlines() if "suppresses nothing" in line]
    assert len(lines) == 2
    assert all(line.startswith("::warning") for line in lines) == (fmt == "github")
