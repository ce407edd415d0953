"""Deeply nested but valid code is measured, not refused (issue 12, item 11).

Whatever Python's own parser accepts must be measured, however deep: ``not`` 500 times, ``-`` 500
times, an attribute chain 500 long, ``.filter(a=1)`` 250 times, ``lambda:`` 500 deep, calls as deep
as Python's 200-bracket limit allows. The numbers must be radon's: radon is the oracle, run here
with a raised recursion limit in a thread with a big stack (its visitors are recursive too). What
Python itself cannot compile stays an error naming the file, never a traceback.
"""
from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from radon.complexity import cc_visit_ast
from radon.metrics import h_visit_ast, mi_visit
from radon.visitors import ComplexityVisitor

from qualitygate.metrics import deep
from qualitygate.metrics.analyze import MetricOptions, measure_file, measure_source
from qualitygate.models import AnalysisError, FileMetrics

from .conftest import subprocess_env

pytestmark = pytest.mark.crossversion  # also run on every other supported Python (.ci/run)

T = TypeVar("T")
DEPTH = 500

# name -> (an expression nested deep around one `if` expression, the nesting cognitive complexity
# gives that `if`: only lambdas nest). The `if` makes CC and cognitive count something.
CASES = {
    "filter": ("(q if c else r)" + ".filter(a=1)" * 250, 0),
    "not": ("not " * DEPTH + "(y if c else z)", 0),
    "minus": ("-" * DEPTH + "(y if c else z)", 0),
    "attribute": ("(a if c else b)" + ".b" * DEPTH, 0),
    "call": ("f(" * 199 + "1 if c else 2" + ")" * 199, 0),  # Python refuses 200 nested brackets
    "lambda": ("lambda: " * DEPTH + "1 if c else 2", DEPTH),
}
# Files Python's own compile() refuses: they stay errors, with the reason.
REFUSED = {
    "minus_100k": ("x = " + "-" * 100_000 + "y\n", "too deeply nested for Python's own parser"),
    # Python 3.10's parser takes this one (its compiler does not): there it is the metrics that give up.
    "attribute_100k": ("x = a" + ".b" * 100_000 + "\n", "too deeply nested"),
    "call_500": ("x = " + "f(" * DEPTH + "1" + ")" * DEPTH + "\n", "syntax error: too many nested parentheses"),
}


def _function(expression: str) -> str:
    return f"def outer(q, r, a, b, c, y, z):\n    return {expression}\n"


def _source(expression: str) -> str:
    """The expression at module level and inside a function: file and function metrics both."""
    return f"x = {expression}\n\n\n" + _function(expression)


def _on_big_stack(function: Callable[[], T]) -> T:
    """Call ``function`` with the recursion limit raised, in a thread with a 512 MiB stack."""
    done: list[T] = []
    previous_limit = sys.getrecursionlimit()
    previous_stack = threading.stack_size(512 * 1024 * 1024)
    sys.setrecursionlimit(60_000)
    try:
        thread = threading.Thread(target=lambda: done.append(function()))
        thread.start()
    finally:
        threading.stack_size(previous_stack)
    thread.join()
    sys.setrecursionlimit(previous_limit)
    assert done, "radon failed on a big stack too"
    return done[0]


def _radon(expression: str) -> dict[str, Any]:
    """The oracle: what radon 6 reports for the case (run it through ``_on_big_stack``)."""
    source = _source(expression)
    tree = ast.parse(source)
    (block,) = cc_visit_ast(tree)
    (function_halstead,) = h_visit_ast(tree).functions
    return {
        "cc": ComplexityVisitor.from_ast(tree).total_complexity,
        "halstead": h_visit_ast(tree).total._asdict(),
        "mi": mi_visit(source, multi=True),
        "function_cc": block.complexity,
        "function_volume": function_halstead[1].volume,
        # A file holding just the function has the function's own MI.
        "function_mi": mi_visit(_function(expression), multi=True),
    }


def _check(root: Path, jobs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qualitygate", "check", ".", "--format", "json", "--no-cache", "-j", jobs],
        cwd=root, env=subprocess_env(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """One CLI run in-process (-j 1) and one through the process pool (9 files, -j 2)."""
    root = tmp_path_factory.mktemp("deep")
    (root / "pyproject.toml").write_text("[tool.qualitygate]\n")
    for name, (expression, _) in CASES.items():
        (root / f"{name}.py").write_text(_source(expression))
    for name, (source, _) in REFUSED.items():
        (root / f"{name}.py").write_text(source)
    return {jobs: _check(root, jobs) for jobs in ("1", "2")}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_run_ends_normally(runs: dict[str, subprocess.CompletedProcess[str]], jobs: str) -> None:
    done = runs[jobs]
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    measured = {file["path"] for file in json.loads(done.stdout)["files"]}
    assert measured == {f"{name}.py" for name in CASES}


def test_no_warning_on_deep_code(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert runs["1"].stderr == ""


def test_the_cases_are_deeper_than_the_default_recursion_limit() -> None:
    """Each case but the call (Python caps brackets at 200) needs the deep path: none is trivial."""
    for name, (expression, _) in CASES.items():
        if name != "call":
            with pytest.raises(RecursionError):
                measure_source(_source(expression), name, MetricOptions())


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_deep_metrics_equal_radon(runs: dict[str, subprocess.CompletedProcess[str]], jobs: str, name: str) -> None:
    expression, nesting = CASES[name]
    expected = _on_big_stack(lambda: _radon(expression))
    (file,) = [f for f in json.loads(runs[jobs].stdout)["files"] if f["path"] == f"{name}.py"]
    assert file["cyclomatic_complexity"] == expected["cc"] == 3  # 1 + the module's `if` + the function's
    assert math.isclose(file["maintainability_index"], expected["mi"])
    for key in ("vocabulary", "length", "volume", "difficulty", "effort", "time", "bugs"):
        assert math.isclose(file["halstead"][key], expected["halstead"][key]), key
    (function,) = file["functions"]
    assert function["cyclomatic_complexity"] == expected["function_cc"] == 2
    assert math.isclose(function["halstead_volume"], expected["function_volume"])
    # Per-function MI is ours, on the complete Halstead count (issue 15), not radon's mi_visit
    # (whose per-function volume counts nested unary operators differently): measured, not 100.
    assert function["halstead_volume_complete"] > 0
    assert 0 < function["maintainability_index"] < 100
    # radon has no cognitive complexity: one `if` expression scores 1 plus its nesting.
    assert function["cognitive_complexity"] == 1 + nesting


def test_the_cognitive_rule_holds_where_the_default_stack_suffices() -> None:
    """The same rule on a shallow lambda chain, measured on the normal path."""
    (function,) = measure_source(_function("lambda: " * 3 + "1 if c else 2"), "f.py", MetricOptions()).functions
    assert function.cognitive_complexity == 1 + 3


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_what_python_cannot_compile_is_an_error_naming_the_file(
    runs: dict[str, subprocess.CompletedProcess[str]], jobs: str, name: str
) -> None:
    source, message = REFUSED[name]
    with pytest.raises((RecursionError, MemoryError, SyntaxError)):
        compile(source, name, "exec")
    errors = {e["path"]: e["message"] for e in json.loads(runs[jobs].stdout)["errors"]}
    assert errors[f"{name}.py"].startswith(message)


def test_in_process_the_settings_are_restored(tmp_path: Path) -> None:
    """The deep path borrows the process-wide recursion limit and thread stack size; it gives both back."""
    before = (sys.getrecursionlimit(), threading.stack_size())
    path = tmp_path / "not.py"
    path.write_text(_source(CASES["not"][0]))
    measured = measure_file(path, "not.py", MetricOptions())
    assert isinstance(measured, FileMetrics) and measured.cyclomatic_complexity == 3
    assert (sys.getrecursionlimit(), threading.stack_size()) == before


def test_without_a_bigger_stack_the_file_is_an_error_naming_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that may not start a thread with a bigger stack reports the file, and goes on."""
    monkeypatch.setattr(deep, "STACK_SIZES", (1,))  # threading.stack_size refuses 1 byte
    before = (sys.getrecursionlimit(), threading.stack_size())
    source = tmp_path / "not.py"
    source.write_text(_source(CASES["not"][0]))
    measured = measure_file(source, "not.py", MetricOptions())
    assert isinstance(measured, AnalysisError) and measured.path == "not.py"
    assert measured.message.startswith("too deeply nested to analyse (no thread with a bigger stack")
    assert (sys.getrecursionlimit(), threading.stack_size()) == before
