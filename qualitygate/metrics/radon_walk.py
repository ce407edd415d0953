"""radon's cyclomatic complexity and Halstead counts in one linear walk over the tree.

radon's own visitors give the same numbers (tests compare them on the stdlib) but spawn a new
visitor per function body and class body and dispatch every node through ``ast.NodeVisitor``;
over the stdlib they cost 3x this walk. The counting rules below are radon 6's, rule for rule:
``radon.visitors.ComplexityVisitor`` and ``HalsteadVisitor``. The Halstead formulas themselves are
radon's ``halstead_visitor_report``.

The same walk collects, per function body, the complete Halstead count behind our per-function
maintainability index (complete_halstead.py; issue 15): every name, constant and node kind. It
also counts each function's asserts, and leaves them out of CC when ``count_asserts`` is off.
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from radon.metrics import HalsteadReport, halstead_visitor_report

from qualitygate.metrics.complete_halstead import EXTRAS, complete_volume

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
    """One Halstead scope; the attribute names are the ones radon's report function reads.

    The lists below hold the complete count (ours, not radon's): every ``Name`` id and
    field name, every constant, every other node's kind and the tokens only its fields tell.
    """

    context: str | None
    operators: int = 0
    operands: int = 0
    operators_seen: set[str] = field(default_factory=set)
    operands_seen: set[tuple[str | None, Any]] = field(default_factory=set)
    names: list[str] = field(default_factory=list)
    constants: list[Any] = field(default_factory=list)
    kinds: list[type] = field(default_factory=list)
    extra_operators: list[str] = field(default_factory=list)
    docstrings: int = 0

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
        if self.context is None:  # a module or its classes: no function needs the complete count
            return
        self.names += other.names
        self.constants += other.constants
        self.kinds += other.kinds
        self.extra_operators += other.extra_operators
        self.docstrings += other.docstrings

    def complete_volume(self) -> float:
        """Halstead's volume over every token counted here (complete_halstead.py)."""
        return complete_volume(self.kinds, self.extra_operators, self.operators,
                               self.operators_seen, self.names, self.constants)  # fmt: skip


@dataclass
class _Complexity:
    """One cyclomatic scope: decision points here, and the functions and classes found directly in it."""

    decisions: int = 0
    asserts: int = 0  # the asserts among the decisions (radon counts each one)
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

# What the walk does beyond pushing children, as bits per node kind: one dict lookup per node
# instead of four (the walk meets about two million nodes on the stdlib).
_EXTRA, _DECISION, _HALSTEAD, _ASSERT = 1, 2, 4, 8
_SPECIAL: dict[type, int] = {}
for _kinds, _bit in ((EXTRAS, _EXTRA), (_DECISIONS, _DECISION), (_HALSTEAD_KINDS, _HALSTEAD), ((ast.Assert,), _ASSERT)):
    for _kind in _kinds:
        _SPECIAL[_kind] = _SPECIAL.get(_kind, 0) | _bit


@dataclass
class RadonMetrics:
    """The file's totals and every function's numbers, keyed by node.

    ``complexity``, ``volume`` and the totals are radon's (``complexity`` without asserts when
    ``count_asserts`` is off); ``complete_volume`` and ``docstrings`` feed our per-function MI.
    """

    total_complexity: int
    halstead: HalsteadReport
    complexity: dict[ast.AST, int]
    volume: dict[ast.AST, float]
    complete_volume: dict[ast.AST, float] = field(default_factory=dict)
    docstrings: dict[ast.AST, int] = field(default_factory=dict)
    asserts: dict[ast.AST, int] = field(default_factory=dict)


def _docstring(body: list[ast.stmt]) -> bool:
    """Whether the body starts with a docstring (a string constant on its own)."""
    value = getattr(body[0], "value", None) if body and type(body[0]) is ast.Expr else None
    return type(value) is ast.Constant and type(value.value) is str


class _Walker:
    def __init__(self, count_asserts: bool) -> None:
        self.count_asserts = int(count_asserts)
        self.complexity: dict[ast.AST, int] = {}
        self.volume: dict[ast.AST, float] = {}
        self.complete_volume: dict[ast.AST, float] = {}
        self.docstrings: dict[ast.AST, int] = {}
        self.asserts: dict[ast.AST, int] = {}

    # One loop over ~2 million nodes on the stdlib: kept inline, as helper calls per node cost 10%.
    def walk(self, nodes: list[Any], cc: _Complexity | None, h: _Halstead) -> None:  # qualitygate: ignore
        """Count every node below ``nodes``; ``cc`` None means radon's CC does not look here."""
        stack = list(nodes)
        names, constants, kinds = h.names, h.constants, h.kinds
        special, child_fields = _SPECIAL, _CHILD_FIELDS
        while stack:
            node = stack.pop()
            kind = type(node)
            # The complete count's operands. Names and constants have nothing below them that
            # counts, nor does an Attribute beside its value: the commonest nodes leave first.
            if kind is ast.Name:
                names.append(node.id)
                continue
            if kind is ast.Constant:
                constants.append(node.value)
                continue
            if kind is ast.Attribute:
                kinds.append(kind)
                names.append(node.attr)
                stack.append(node.value)
                continue
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                self.function(node, cc, h)
                continue
            if kind is ast.ClassDef:
                self.klass(node, cc, h)
                continue
            kinds.append(kind)
            flags = special.get(kind)
            if flags is not None:  # one lookup for the kinds below; most nodes are none of them
                if flags & _EXTRA:
                    EXTRAS[kind](node, h.extra_operators, names)
                if flags & _DECISION and cc is not None:
                    cc.decisions += _DECISIONS[kind](node)
                if flags & _HALSTEAD:
                    _count_halstead(node, kind, h)
                if flags & _ASSERT and cc is not None:
                    # radon's visit_Assert counts 1 (0 with its no_assert, our count_asserts = false)
                    # and does not look inside for CC.
                    cc.decisions += self.count_asserts
                    cc.asserts += self.count_asserts
                    self.walk(_children(node), None, h)
                    continue
            fields = child_fields.get(kind)
            for name in _child_fields(kind) if fields is None else fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    # Only Dict.keys and arguments.kw_defaults hold None (``**`` and a keyword
                    # without default): a None popped is a kind with no tokens and no children.
                    stack += value
                elif isinstance(value, ast.AST):
                    stack.append(value)

    def function(self, node: FunctionNode, cc: _Complexity | None, h: _Halstead) -> None:
        # Both radon visitors read only the body: decorators, defaults and annotations don't count.
        # A docstring counts for neither radon (a bare constant) nor the complete count.
        own_cc = _Complexity()
        own_h = _Halstead(context=node.name)
        docstring = _docstring(node.body)
        self.walk(node.body[docstring:], own_cc, own_h)
        own_h.docstrings += docstring
        complexity = 1 + own_cc.decisions
        self.complexity[node] = complexity
        self.volume[node] = halstead_visitor_report(own_h).volume
        self.complete_volume[node] = own_h.complete_volume()
        self.docstrings[node] = own_h.docstrings
        self.asserts[node] = own_cc.asserts
        h.kinds.append(type(node))  # a nested def is code of the body around it: "def", its name
        h.names.append(node.name)
        h.absorb(own_h)
        if cc is not None:
            cc.functions.append(complexity)

    def klass(self, node: ast.ClassDef, cc: _Complexity | None, h: _Halstead) -> None:
        # Halstead visits a class generically (bases and decorators too); CC only its body.
        self.walk([*node.bases, *node.keywords, *node.decorator_list], None, h)
        h.kinds.append(ast.ClassDef)
        h.names.append(node.name)
        own_cc = _Complexity()
        docstring = _docstring(node.body)
        self.walk(node.body[docstring:], own_cc, h)
        h.docstrings += docstring
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


def decision_points(body: list[ast.stmt], count_asserts: bool = True) -> int:
    """radon's cyclomatic decision points of ``body`` as a function's whole body (its complexity
    minus the function's 1), without the Halstead reports ``radon_metrics`` also makes: the advice
    asks this of every block of its worst offenders."""
    cc = _Complexity()
    _Walker(count_asserts).walk(body[_docstring(body):], cc, _Halstead(context=None))
    return cc.decisions


def radon_metrics(tree: ast.Module, count_asserts: bool = True) -> RadonMetrics:
    """radon's ``total_complexity``, ``h_visit_ast(tree).total`` and per-function numbers;
    ``count_asserts=False`` gives radon's ``no_assert=True`` complexities."""
    walker = _Walker(count_asserts)
    cc = _Complexity()
    h = _Halstead(context=None)
    walker.walk(list(tree.body), cc, h)
    # ComplexityVisitor.total_complexity with off=True: 1 + module decisions + what functions
    # and classes add beyond their own starting 1.
    total = 1 + cc.decisions + sum(f - 1 for f in cc.functions) + sum(c - 1 for c in cc.classes)
    return RadonMetrics(total, halstead_visitor_report(h), walker.complexity, walker.volume,
                        walker.complete_volume, walker.docstrings, walker.asserts)  # fmt: skip
