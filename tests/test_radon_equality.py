"""Our numbers equal radon 6's (the peer) on real stdlib files: CC, Halstead, MI, per function."""
from __future__ import annotations

import ast
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from radon.complexity import cc_visit_ast
from radon.metrics import h_visit_ast, mi_visit
from radon.visitors import Function

from qualitygate.metrics.analyze import MetricOptions, measure_source

from .conftest import TimeUp, stdlib_files, time_limit

pytestmark = pytest.mark.crossversion  # also run on every other supported Python (.ci/run)

# Every stdlib file (tests excluded) up to 60 kB: ~600 files, real code nobody here wrote.
FILES = stdlib_files(limit_bytes=60_000)
OPTIONS = MetricOptions(enable_dependency_analysis=False)


def _radon_functions(blocks: list) -> Iterator[Function]:
    for block in blocks:
        if isinstance(block, Function):
            yield block
            yield from _radon_functions(block.closures)


def _parse(path: Path) -> tuple[str, ast.Module] | None:
    try:
        source = path.read_text(encoding="utf-8")
        return source, ast.parse(source)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None


def test_corpus_is_real() -> None:
    assert len(FILES) > 400


def _overload_stubs(tree: ast.AST) -> set[tuple[int, str]]:
    """(line, name) of every def decorated ``@overload`` or ``@typing.overload``."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = {d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", "") for d in node.decorator_list}
            if "overload" in names:
                found.add((node.lineno, node.name))
    return found


def _outer_defs(node: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Defs not nested in a def, in source order: the functions radon's h_visit reports."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield child
        else:
            yield from _outer_defs(child)


def test_cyclomatic_and_halstead_equal_radon() -> None:
    """File CC total, Halstead totals and every radon block's complexity, on ~600 files."""
    compared_functions = 0
    for path in FILES:
        parsed = _parse(path)
        if parsed is None:
            continue
        source, tree = parsed
        ours = measure_source(source, str(path), OPTIONS)
        h_total = h_visit_ast(tree).total
        assert ours.halstead.vocabulary == h_total.vocabulary, path
        assert ours.halstead.length == h_total.length, path
        assert math.isclose(ours.halstead.volume, h_total.volume), path
        assert math.isclose(ours.halstead.effort, h_total.effort), path
        assert math.isclose(ours.halstead.bugs, h_total.bugs), path
        by_line = {(f.lineno, f.name): f for f in ours.functions}
        # @overload stubs are not measured as functions (issue 15); radon lists them.
        stubs = _overload_stubs(tree)
        for func in _radon_functions(cc_visit_ast(tree)):
            if (func.lineno, func.name) in stubs:
                continue
            assert by_line[(func.lineno, func.name)].cyclomatic_complexity == func.complexity, (path, func)
            compared_functions += 1
        # radon's h_visit reports, in source order, every function not nested in a function.
        visible = [f for f in ours.functions if "<locals>" not in f.qualname]
        radon_functions = h_visit_ast(tree).functions
        if stubs:
            defs = list(_outer_defs(tree))
            assert [name for name, _ in radon_functions] == [d.name for d in defs], path
            radon_functions = [r for r, d in zip(radon_functions, defs, strict=True) if (d.lineno, d.name) not in stubs]
        assert [f.name for f in visible] == [name for name, _ in radon_functions], path
        for func, (_, report) in zip(visible, radon_functions, strict=True):
            assert math.isclose(func.halstead_volume, report.volume), (path, func.qualname)
    assert compared_functions > 10_000


def test_maintainability_index_equals_radon() -> None:
    """radon's mi_visit(source, multi=True) on every file where radon finishes within 2 s."""
    compared = 0
    for path in FILES[::3]:  # a third of the corpus keeps this under a minute with radon's raw pass
        parsed = _parse(path)
        if parsed is None:
            continue
        source, _ = parsed
        try:
            with time_limit(2.0):
                expected = mi_visit(source, multi=True)
        except TimeUp:
            continue
        ours = measure_source(source, str(path), OPTIONS)
        assert math.isclose(ours.maintainability_index, expected, abs_tol=1e-9), path
        compared += 1
    assert compared > 150


@pytest.mark.parametrize(
    "source",
    [
        "def f(a, b):\n    return a and b or not a\n",
        "class A:\n    def m(self):\n        def inner():\n            return [x for x in y if x]\n        return inner\n",
        "def f():\n    class Local:\n        def m(self, x):\n            if x:\n                return 1\n    return Local\n",
        "async def f(x):\n    async for i in x:\n        if i:\n            await g()\n    else:\n        pass\n",
        "def f(x):\n    match x:\n        case 1: return 1\n        case 2 if x: return 2\n        case _: return 0\n",
    ],
)
def test_small_cases_equal_radon(source: str) -> None:
    ours = measure_source(source, "<case>", OPTIONS)
    assert math.isclose(ours.maintainability_index, mi_visit(source, multi=True))
    radon = {(f.lineno, f.name): f.complexity for f in _radon_functions(cc_visit_ast(ast.parse(source)))}
    for func in ours.functions:
        if (func.lineno, func.name) in radon:
            assert func.cyclomatic_complexity == radon[(func.lineno, func.name)]
