"""``qualitygate suggest`` with no AI (issue 13, item 1): the extractions the advice names, as a patch
``git apply`` takes, labelled by the evidence gathered, and applied only when verified."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = "[tool.qualitygate]\ncomplexity_threshold = 3\ncognitive_complexity_threshold = 3\n"
MODULE = """\
def tally(rows, limit):
    total = 0
    kept = []
    for row in rows:
        if row > limit:
            if row % 2:
                total += row
            else:
                kept.append(row)
    return total, kept
"""
TEST = """\
from mod import tally


def test_tally():
    assert tally([1, 4, 5, 7, 8], 3) == (12, [4, 8])
    assert tally([], 0) == (0, [])
"""
# A test that reads the source: the extraction moves the `%` test, so this one fails with it.
SOURCE_TEST = """\
import inspect

from mod import tally


def test_tally_keeps_its_modulo():
    assert "row % 2" in inspect.getsource(tally)
"""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


@pytest.fixture
def repo(project) -> Path:
    root = project({"pyproject.toml": CONFIG, "mod.py": MODULE})
    _git(root, "init", "-q")
    return root


def _with_tests(root: Path, text: str) -> None:
    (root / "tests").mkdir()
    (root / "tests" / "test_mod.py").write_text(text)


def test_without_ai_or_tests_the_patch_is_offered_unverified(repo: Path, cli) -> None:
    result = cli("suggest", "mod.py", "--no-cache", cwd=repo)
    assert result.code == 0, result.err
    assert result.out.startswith("diff --git a/mod.py b/mod.py\n")
    (repo / "fix.patch").write_text(result.out)
    assert _git(repo, "apply", "--check", "fix.patch").returncode == 0
    assert "extract the block at line 6 into `_tally_row(row, total, kept)` -> total" in result.err
    assert "QG002 measured 3 here and 2 in the helper, as the advice predicted" in result.err
    assert "unverified: metrics re-measured, static checks passed; behaviour unchecked (no tests were run)" in result.err
    assert "only the deterministic extractions are offered" in result.err
    assert (repo / "mod.py").read_text() == MODULE  # printing changes nothing
    refused = cli("suggest", "mod.py", "--no-cache", "--apply", cwd=repo)
    assert "extractions not applied to mod.py" in refused.err and "rewrote 0 files" in refused.err
    assert (repo / "mod.py").read_text() == MODULE


def test_apply_unverified_writes_it_and_the_file_measures_as_predicted(repo: Path, cli) -> None:
    applied = cli("suggest", "mod.py", "--no-cache", "--apply-unverified", cwd=repo)
    assert "applied 1 extraction to mod.py" in applied.err
    after = cli("check", "mod.py", "--no-cache", "-f", "json", cwd=repo).json()
    cognitive = {f["qualname"]: f["cognitive_complexity"] for f in after["files"][0]["functions"]}
    assert cognitive == {"tally": 3, "_tally_row": 2}
    namespace: dict[str, object] = {}
    exec(compile((repo / "mod.py").read_text(), "mod.py", "exec"), namespace)
    assert namespace["tally"]([1, 4, 5, 7, 8], 3) == (12, [4, 8])  # type: ignore[operator]


def test_passing_tests_that_name_the_function_verify_it_and_apply_writes_it(repo: Path, cli) -> None:
    _with_tests(repo, TEST)
    result = cli("suggest", "mod.py", "--no-cache", "--apply", cwd=repo)
    assert ("verified: metrics re-measured, static checks passed, 1 test from 1 module that imports "
            "it passed on a patched copy; 2 recorded calls equal") in result.err  # fmt: skip
    assert "applied 1 extraction to mod.py" in result.err
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout


def test_tests_that_never_name_the_function_are_no_evidence(repo: Path, cli) -> None:
    _with_tests(repo, "def test_other():\n    assert 1 + 1 == 2\n")
    result = cli("suggest", "mod.py", "--no-cache", cwd=repo)
    assert "unverified: metrics re-measured, static checks passed; tests passed, but no test file names the function" in result.err


def test_an_extraction_that_breaks_the_tests_is_dropped(repo: Path, cli) -> None:
    _with_tests(repo, SOURCE_TEST)
    result = cli("suggest", "mod.py", "--no-cache", cwd=repo)
    assert "dropped the extractions of mod.py: the project's tests fail with them" in result.err
    assert "extractions: 0 offered, 1 skipped (1 the project's tests fail with it)" in result.err
    assert result.out == ""


def test_refusals_are_counted_with_their_reasons(project, cli) -> None:
    early = MODULE.replace("                total += row\n", "                return row\n")
    root = project({"pyproject.toml": CONFIG, "mod.py": early})
    result = cli("suggest", "mod.py", "--no-cache", cwd=root)
    assert result.code == 0
    assert "extractions: 0 offered, 1 skipped (1 it returns from the function)" in result.err


def test_no_extract_leaves_only_the_ai(repo: Path, cli) -> None:
    result = cli("suggest", "mod.py", "--no-cache", "--no-extract", cwd=repo)
    assert result.code == 0
    assert "extractions:" not in result.err and result.out == ""
