"""Cyclomatic complexity from radon's ComplexityVisitor, for the file and every function."""
from __future__ import annotations

import ast
from collections.abc import Iterable

from radon.visitors import Class, ComplexityVisitor, Function


def _functions(functions: Iterable[Function], classes: Iterable[Class]) -> Iterable[Function]:
    for func in functions:
        yield func
        yield from _functions(func.closures, ())
    for cls in classes:
        yield from _functions(cls.methods, cls.inner_classes)


def cyclomatic(tree: ast.AST) -> tuple[int, dict[tuple[int, int], int]]:
    """The file total (as radon's MI uses it) and each block's complexity by (line, column)."""
    visitor = ComplexityVisitor.from_ast(tree)
    blocks = {
        (func.lineno, func.col_offset): func.complexity
        for func in _functions(visitor.functions, visitor.classes)
    }
    return visitor.total_complexity, blocks


def function_complexity(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """radon's block complexity for a function radon's walk does not report.

    radon drops classes defined inside functions (and so their methods); measure those directly.
    """
    return int(ComplexityVisitor.from_ast(node).functions[0].complexity)
