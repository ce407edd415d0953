"""Cognitive complexity, read from the data-driven cases in tests/cases/cognitive/.

Each case file is plain Python. The line directly above each function (above its first decorator,
if any) says ``# cognitive: N``; every function in those files must have one, nested functions
and methods included. See tests/cases/cognitive/README.md.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from qualitygate.metrics.cognitive import cognitive_complexities

pytestmark = pytest.mark.crossversion  # also run on every other supported Python (.ci/run)

CASES = Path(__file__).parent / "cases" / "cognitive"
EXPECTATION = re.compile(r"^\s*#\s*cognitive:\s*(\d+)\s*$")
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, FunctionNode]]:
    """Every (async) def under ``tree`` in source order, with its dotted qualified name."""
    for node in ast.iter_child_nodes(tree):
        name = prefix
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node
            name += "."
        yield from _functions(node, name)


def _expected(lines: list[str], node: FunctionNode, path: Path) -> int:
    """The ``# cognitive: N`` on the line above the def or its first decorator."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    match = EXPECTATION.match(lines[first - 2]) if first >= 2 else None
    if match is None:
        raise ValueError(f"{path.name}:{first}: no '# cognitive: N' above def {node.name}")
    return int(match.group(1))


@cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def _scores(path: Path) -> dict[str, int]:
    """Our score for each function of a case file, by qualified name."""
    tree = _parse(path)
    scores = cognitive_complexities(tree)
    return {name: scores[node] for name, node in _functions(tree)}


def _cases() -> Iterator[tuple[Path, str, int]]:
    for path in sorted(CASES.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for name, node in _functions(_parse(path)):
            yield path, name, _expected(lines, node, path)


CASE_LIST = list(_cases())
CASE_IDS = [f"{path.name}::{name}" for path, name, _ in CASE_LIST]


@pytest.mark.parametrize(("path", "name", "expected"), CASE_LIST, ids=CASE_IDS)
def test_case(path: Path, name: str, expected: int) -> None:
    assert _scores(path)[name] == expected


def test_cases_are_many_and_uniquely_named() -> None:
    assert len(CASE_IDS) == len(set(CASE_IDS))
    assert len(CASE_IDS) >= 100


@pytest.mark.parametrize("path", sorted(CASES.glob("*.py")), ids=lambda p: p.name)
def test_every_def_is_scored_in_source_order(path: Path) -> None:
    tree = _parse(path)
    defs = [node for node in ast.walk(tree) if isinstance(node, FunctionNode)]
    scores = cognitive_complexities(tree)
    assert set(scores) == set(defs)
    assert list(scores) == [node for _, node in _functions(tree)]


def _only_function_score(source: str) -> int:
    (score,) = cognitive_complexities(ast.parse(source)).values()
    return score


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11+")
def test_except_star_counts_like_except() -> None:
    # Kept out of the case files: ruff reads them as the project's target, Python 3.10.
    source = (
        "def f(g, a):\n"
        "    for x in a:\n"  # +1
        "        try:\n"
        "            g(x)\n"
        "        except* ValueError:\n"  # +2 (nesting 1)
        "            if x:\n"  # +3 (nesting 2)
        "                pass\n"
        "        except* (KeyError, OSError):\n"  # +2 (nesting 1)
        "            pass\n"
        "        else:\n"  # +1
        "            pass\n"
    )
    assert _only_function_score(source) == 9


def test_tree_without_functions_is_empty() -> None:
    assert cognitive_complexities(ast.parse("if a:\n    b = 1 if c else 2\n")) == {}


def test_a_function_node_can_be_the_tree() -> None:
    node = ast.parse("def f(a):\n    if a:\n        return 1\n").body[0]
    assert cognitive_complexities(node) == {node: 1}


def test_long_chains_do_not_overflow_the_stack() -> None:
    concatenation = "def f(x):\n    return " + " + ".join(["x"] * 2000) + "\n"
    elifs = "def g(x):\n    if x:\n        pass\n" + "    elif x:\n        pass\n" * 2000
    assert _only_function_score(concatenation) == 0
    assert _only_function_score(elifs) == 2001


# complexipy (a Rust implementation) disagrees with the project's decisions on comprehensions,
# loop/try `else`, decorators, guards and mixed operator runs, so the comparison is limited to
# the file where every documented behaviour is shared: `if`/`elif`/`else`, `else: if`, ternaries.
SHARED_WITH_COMPLEXIPY = CASES / "branches.py"


def test_branches_agree_with_complexipy() -> None:
    complexipy = pytest.importorskip("complexipy")
    source = SHARED_WITH_COMPLEXIPY.read_text(encoding="utf-8")
    theirs = {fn.name: fn.complexity for fn in complexipy.code_complexity(source).functions}
    assert theirs == _scores(SHARED_WITH_COMPLEXIPY)
