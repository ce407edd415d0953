"""radon's cyclomatic complexity and Halstead counts in one linear walk over the tree.

radon's own visitors give the same numbers (tests compare them on the stdlib) but spawn a new
visitor per function body and class body and dispatch every node through ``ast.NodeVisitor``;
over the stdlib they cost 3x this walk. The counting rules below are radon 6's, rule for rule:
``radon.visitors.ComplexityVisitor`` and ``HalsteadVisitor``. The Halstead formulas themselves are
radon's ``halstead_visitor_report``.
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from radon.metrics import HalsteadReport, halstead_visitor_report

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

# Fields that never hold nodes that count (expression contexts, operator singletons, names).
_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "arg", "name", "names", "module",
                          "asname", "type_comment", "kind", "level", "conversion", "kwd_attrs"})  # fmt: skip
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}


def _child_fields(kind: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = tuple(f for f in getattr(kind, "_fields", ()) if f not in _SKIP_FIELDS)
        _CHILD_FIELDS[kind] = fields
    return fields


@dataclass
class _Halstead:
    """One Halstead scope; the attribute names are the ones radon's report function reads."""

    context: str | None
    operators: int = 0
    operands: int = 0
    operators_seen: set[str] = field(default_factory=set)
    operands_seen: set[tuple[str | None, Any]] = field(default_factory=set)

    @property
    def distinct_operators(self) -> int:
        return len(self.operators_seen)

    @property
    def distinct_operands(self) -> int:
        return len(self.operands_seen)

    def add_operands(self, operands: list[ast.expr]) -> None:
        """radon keys an operand by its name, attribute or constant value; any other node by itself."""
        self.operands += len(operands)
        context = self.context
        for operand in operands:
            kind = type(operand)
            if kind is ast.Name:
                key: Any = operand.id  # type: ignore[attr-defined]
            elif kind is ast.Attribute:
                key = operand.attr  # type: ignore[attr-defined]
            elif kind is ast.Constant:
                key = operand.value  # type: ignore[attr-defined]
            else:
                key = operand
            self.operands_seen.add((context, key))

    def absorb(self, other: _Halstead) -> None:
        """A function body's counts also count for the scope that contains the def."""
        self.operators += other.operators
        self.operands += other.operands
        self.operators_seen |= other.operators_seen
        self.operands_seen |= other.operands_seen


@dataclass
class _Complexity:
    """One cyclomatic scope: decision points here, and the functions and classes found directly in it."""

    decisions: int = 0
    functions: list[int] = field(default_factory=list)
    classes: list[int] = field(default_factory=list)


def _loop(node: Any) -> int:
    return bool(node.orelse) + 1


def _match(node: Any) -> int:
    wildcard = any(getattr(case.pattern, "pattern", False) is None for case in node.cases)
    return max(0, len(node.cases) - wildcard)


# radon's ComplexityVisitor.generic_visit increments, by node type.
_DECISIONS: dict[type, Callable[[Any], int]] = {
    ast.If: lambda node: 1,
    ast.IfExp: lambda node: 1,
    ast.BoolOp: lambda node: len(node.values) - 1,
    ast.For: _loop,
    ast.While: _loop,
    ast.AsyncFor: _loop,
    ast.comprehension: lambda node: len(node.ifs) + 1,
    ast.Try: lambda node: len(node.handlers) + bool(node.orelse),  # not TryStar: radon 6 knows Try
    ast.Match: _match,
}


def _count_halstead(node: Any, kind: type, scope: _Halstead) -> None:
    """radon's HalsteadVisitor dispatch methods."""
    if kind is ast.BinOp:
        scope.operators += 1
        scope.operators_seen.add(type(node.op).__name__)
        scope.add_operands([node.left, node.right])
    elif kind is ast.Compare:
        scope.operators += len(node.ops)
        scope.operators_seen.update(type(op).__name__ for op in node.ops)
        scope.add_operands([*node.comparators, node.left])
    elif kind is ast.BoolOp:
        scope.operators += 1
        scope.operators_seen.add(type(node.op).__name__)
        scope.add_operands(node.values)
    elif kind is ast.UnaryOp:
        scope.operators += 1
        scope.operators_seen.add(type(node.op).__name__)
        scope.add_operands([node.operand])
    elif kind is ast.AugAssign:
        scope.operators += 1
        scope.operators_seen.add(type(node.op).__name__)
        scope.add_operands([node.target, node.value])


_HALSTEAD_KINDS = frozenset({ast.BinOp, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.AugAssign})


@dataclass
class RadonMetrics:
    """The file's totals and every function's complexity and Halstead volume, keyed by node."""

    total_complexity: int
    halstead: HalsteadReport
    complexity: dict[ast.AST, int]
    volume: dict[ast.AST, float]


class _Walker:
    def __init__(self) -> None:
        self.complexity: dict[ast.AST, int] = {}
        self.volume: dict[ast.AST, float] = {}

    # One loop over ~2 million nodes on the stdlib: kept inline, as helper calls per node cost 10%.
    def walk(self, nodes: list[Any], cc: _Complexity | None, h: _Halstead) -> None:  # qualitygate: ignore
        """Count every node below ``nodes``; ``cc`` None means radon's CC does not look here."""
        stack = list(nodes)
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                self.function(node, cc, h)
                continue
            if kind is ast.ClassDef:
                self.klass(node, cc, h)
                continue
            if cc is not None and kind in _DECISIONS:
                cc.decisions += _DECISIONS[kind](node)
            if kind in _HALSTEAD_KINDS:
                _count_halstead(node, kind, h)
            if kind is ast.Assert and cc is not None:
                cc.decisions += 1  # radon's visit_Assert counts 1 and does not look inside for CC
                self.walk(_children(node), None, h)
                continue
            for name in _child_fields(kind):
                value = getattr(node, name, None)
                if type(value) is list:
                    stack.extend(v for v in value if isinstance(v, ast.AST))
                elif isinstance(value, ast.AST):
                    stack.append(value)

    def function(self, node: FunctionNode, cc: _Complexity | None, h: _Halstead) -> None:
        # Both radon visitors read only the body: decorators, defaults and annotations don't count.
        own_cc = _Complexity()
        own_h = _Halstead(context=node.name)
        self.walk(list(node.body), own_cc, own_h)
        complexity = 1 + own_cc.decisions
        self.complexity[node] = complexity
        self.volume[node] = halstead_visitor_report(own_h).volume
        h.absorb(own_h)
        if cc is not None:
            cc.functions.append(complexity)

    def klass(self, node: ast.ClassDef, cc: _Complexity | None, h: _Halstead) -> None:
        # Halstead visits a class generically (bases and decorators too); CC only its body.
        self.walk([*node.bases, *node.keywords, *node.decorator_list], None, h)
        own_cc = _Complexity()
        self.walk(list(node.body), own_cc, h)
        real = 1 + own_cc.decisions + sum(own_cc.functions)
        if cc is not None:
            cc.classes.append(real)


def _children(node: ast.AST) -> list[Any]:
    found: list[Any] = []
    for name in _child_fields(type(node)):
        value = getattr(node, name, None)
        if type(value) is list:
            found.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def radon_metrics(tree: ast.Module) -> RadonMetrics:
    """radon's ``total_complexity``, ``h_visit_ast(tree).total`` and per-function numbers."""
    walker = _Walker()
    cc = _Complexity()
    h = _Halstead(context=None)
    walker.walk(list(tree.body), cc, h)
    # ComplexityVisitor.total_complexity with off=True: 1 + module decisions + what functions
    # and classes add beyond their own starting 1.
    total = 1 + cc.decisions + sum(f - 1 for f in cc.functions) + sum(c - 1 for c in cc.classes)
    return RadonMetrics(total, halstead_visitor_report(h), walker.complexity, walker.volume)
