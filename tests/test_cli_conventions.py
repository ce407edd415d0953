"""The command-line conventions users bring from ruff, flake8 and complexipy (issue 16):
--exit-zero, -q/-qq, --statistics, --no-advice (and ``advice = false``), --color, and the
format names in ``check --help``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from qualitygate.outputs import FORMATS

SOURCE = """\
def f(x):
    if x == 1:
        return 1
    if x == 2:
        return 2
    if x == 3:
        return 3
    return 0


def g(x):
    if x:
        if x > 1:
            return 1
    return 0
"""
# Thresholds that fail f and g on QG001, both on QG002, and nothing else.
GATE = ("--complexity-threshold", "2", "--cognitive-threshold", "1", "--threshold", "0", "--no-cache")
SUMMARY = (
    "qualitygate FAILED: 1 file, 2 functions, 4 violations "
    "(2 cyclomatic_complexity, 2 cognitive_complexity), 0 errors\n"
)


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def code(project) -> Path:
    return project({"a.py": SOURCE})


def test_plain_run_fails_with_advice(cli, code: Path) -> None:
    result = cli("check", "a.py", *GATE, cwd=code)
    assert result.code == 1
    assert "    suggestion: " in result.out
    assert result.out.endswith("\n\n" + SUMMARY)


def test_exit_zero_reports_but_passes_the_job(cli, code: Path) -> None:
    plain = cli("check", "a.py", *GATE, cwd=code)
    result = cli("check", "a.py", *GATE, "--exit-zero", cwd=code)
    assert (result.code, result.out) == (0, plain.out)


def test_exit_zero_covers_unanalysed_files(cli, project) -> None:
    root = project({"bad.py": "def f(:\n"})
    assert cli("check", "bad.py", "--no-cache", cwd=root).code == 1
    assert cli("check", "bad.py", "--no-cache", "--exit-zero", cwd=root).code == 0


def test_exit_zero_keeps_usage_errors(cli, code: Path) -> None:
    result = cli("check", "a.py", "--exit-zero", "--shard", "3/2", cwd=code)
    assert result.code == 2
    assert "--shard 3/2" in result.err


def test_quiet_prints_only_the_summary(cli, code: Path) -> None:
    result = cli("check", "a.py", *GATE, "-q", cwd=code)
    assert (result.code, result.out) == (1, SUMMARY)
    assert cli("check", "a.py", *GATE, "--quiet", cwd=code).out == SUMMARY


def test_double_quiet_prints_nothing(cli, code: Path) -> None:
    result = cli("check", "a.py", *GATE, "-qq", cwd=code)
    assert (result.code, result.out) == (1, "")


def test_quiet_leaves_other_formats_alone(cli, code: Path) -> None:
    plain = cli("check", "a.py", *GATE, "-f", "json", cwd=code)
    quiet = cli("check", "a.py", *GATE, "-f", "json", "-qq", cwd=code)
    assert quiet.code == 1
    assert json.loads(quiet.out)["summary"] == json.loads(plain.out)["summary"]
    assert json.loads(quiet.out)["violations"]


def test_statistics_counts_per_rule_instead_of_lines(cli, code: Path) -> None:
    result = cli("check", "a.py", *GATE, "--statistics", cwd=code)
    assert result.code == 1
    assert result.out == (
        "    2  QG001  cyclomatic_complexity\n"
        "    2  QG002  cognitive_complexity\n" + SUMMARY
    )


def test_statistics_sorts_by_count_then_code(cli, code: Path) -> None:
    gate = ("--complexity-threshold", "3", "--cognitive-threshold", "1", "--threshold", "0", "--no-cache")
    result = cli("check", "a.py", *gate, "--statistics", cwd=code)
    lines = result.out.splitlines()
    assert lines[:2] == ["    2  QG002  cognitive_complexity", "    1  QG001  cyclomatic_complexity"]


def test_statistics_on_a_clean_run_is_the_summary(cli, code: Path) -> None:
    result = cli("check", "a.py", "--threshold", "0", "--no-cache", "--statistics", cwd=code)
    assert result.code == 0
    assert result.out == "qualitygate PASSED: 1 file, 2 functions, 0 violations, 0 errors\n"


def test_no_advice_drops_the_suggestion_lines(cli, code: Path) -> None:
    plain = cli("check", "a.py", *GATE, cwd=code)
    result = cli("check", "a.py", *GATE, "--no-advice", cwd=code)
    assert result.code == 1
    assert "suggestion" not in result.out
    kept = [line for line in plain.out.splitlines() if not line.startswith("    ")]
    assert result.out.splitlines() == kept


def test_advice_key_false_drops_them_too(cli, project) -> None:
    root = project({"a.py": SOURCE, "pyproject.toml": "[tool.qualitygate]\nadvice = false\n"})
    result = cli("check", "a.py", *GATE, cwd=root)
    assert result.code == 1
    assert "suggestion" not in result.out
    assert result.out.count("QG00") == 4


def test_advice_key_false_keeps_json_suggestions(cli, project) -> None:
    root = project({"a.py": SOURCE, "pyproject.toml": "[tool.qualitygate]\nadvice = false\n"})
    result = cli("check", "a.py", *GATE, "-f", "json", cwd=root)
    assert json.loads(result.out)["suggestions"]


def test_advice_key_must_be_a_bool(cli, project) -> None:
    root = project({"a.py": SOURCE, "pyproject.toml": '[tool.qualitygate]\nadvice = "no"\n'})
    result = cli("check", "a.py", cwd=root)
    assert result.code == 2
    assert "advice" in result.err


def test_color_always_beats_no_color(cli, code: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    result = cli("check", "a.py", *GATE, "--color", "always", "-q", cwd=code)
    assert result.out.startswith("\033[1mqualitygate\033[0m \033[31mFAILED\033[0m: ")


def test_color_never_beats_force_color(cli, code: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli("check", "a.py", *GATE, "--color", "never", "-q", cwd=code).out == SUMMARY


def test_color_auto_reads_the_environment(cli, code: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("check", "a.py", *GATE, "-q", cwd=code).out == SUMMARY  # not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\033[31mFAILED" in cli("check", "a.py", *GATE, "-q", cwd=code).out
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli("check", "a.py", *GATE, "-q", "--color", "auto", cwd=code).out == SUMMARY


def test_color_rejects_other_words(cli, code: Path) -> None:
    result = cli("check", "a.py", "--color", "sometimes", cwd=code)
    assert result.code == 2
    assert "sometimes" in result.err


def test_help_lists_the_format_names(cli) -> None:
    result = cli("check", "--help")
    assert result.code == 0
    flat = " ".join(result.out.split())
    assert f"Output format ({', '.join(sorted(FORMATS))})" in flat
    for option in ("--exit-zero", "-q, --quiet", "--statistics", "--no-advice", "--color"):
        assert option in result.out
