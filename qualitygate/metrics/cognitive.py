"""Cognitive complexity of every function, after the SonarSource white paper and sonar-python."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

# Spec: G. Ann Campbell, "Cognitive Complexity", SonarSource white paper v1.7 (29 August 2023),
# cited as "WP" with its section; the reference implementation is sonar-python's
# CognitiveComplexityVisitor, cited as "sonar-python". Where tools disagree, the project's own
# decisions (docs/cognitive-complexity.md) are cited as "decision".
#
# One walk over the tree scores every function at once. Each function keeps its own score as if
# it were top level. When it ends, the enclosing function adds that score plus `shift` for each
# nesting-sensitive increment inside it, `shift` being the nesting the enclosing function sees
# at the `def` (WP App. B: nested functions raise the nesting level).

_SELF_NAMES = frozenset({"self", "cls"})  # decision: a method recurses through self.m() or cls.m()

# Fields that never hold a node worth visiting (names, operators, flags).
_SKIPPED_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "name", "names", "module", "level", "conversion"}
    | {"kind", "type_comment", "type_ignores", "is_async", "simple", "lineno", "tag"}
)

# Node types that can contain nothing that scores; None and str appear in node lists.
_LEAVES = frozenset(
    {
        type(None),
        str,
        int,
        ast.Name,
        ast.Constant,
        ast.Pass,
        ast.Break,
        ast.Continue,
        ast.Import,
        ast.ImportFrom,
        ast.Global,
        ast.Nonlocal,
    }
)

_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _child_fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    """The fields of ``node_type`` that may hold nodes, cached per type."""
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        fields = tuple(f for f in node_type._fields if f not in _SKIPPED_FIELDS)
        _CHILD_FIELDS[node_type] = fields
    return fields


def _is_docstring(statement: ast.stmt) -> bool:
    """Whether ``statement`` is a bare string literal."""
    return (
        type(statement) is ast.Expr
        and type(statement.value) is ast.Constant
        and isinstance(statement.value.value, str)
    )


def _is_decorator_pattern(body: list[ast.stmt]) -> bool:
    """Whether a function body holds only nested defs and ``return NAME`` (WP Appendix A).

    WP App. A ("Python decorators") exempts a function that contains only a nested function and
    a return statement; sonar-python narrows the return to a bare name. Decision: several defs
    are allowed, and so is a leading docstring, which documents and does not steer the flow.
    """
    has_def = False
    for index, statement in enumerate(body):
        kind = type(statement)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            has_def = True
        elif kind is ast.Return:
            if type(statement.value) is not ast.Name:  # type: ignore[attr-defined]
                return False
        elif index or not _is_docstring(statement):
            return False
    return has_def


def _flatten_boolop(node: ast.BoolOp, operators: list[type], operands: list[ast.expr]) -> None:
    """Append the operators of ``node`` in source order, and its non-boolean operands."""
    operator = type(node.op)
    for index, value in enumerate(node.values):
        if index:
            operators.append(operator)
        if type(value) is ast.BoolOp:
            _flatten_boolop(value, operators, operands)
        else:
            operands.append(value)


class _Frame:
    """Running totals of one function (or of the module, whose totals are dropped)."""

    __slots__ = ("is_method", "is_wrapper", "name", "recursive", "score", "structures")

    def __init__(self, name: str, is_method: bool, is_wrapper: bool) -> None:
        self.name = name
        self.is_method = is_method
        self.is_wrapper = is_wrapper
        self.score = 0
        self.structures = 0  # increments that carry a nesting bonus, so shift when nested
        self.recursive = False

    def nested(self, level: int) -> None:
        """Score a structure that earns +1 plus the nesting level (WP App. B)."""
        self.score += 1 + level
        self.structures += 1


class _Walker:
    """One pass over a tree that scores every function in it."""

    __slots__ = ("frame", "in_class", "scores")

    def __init__(self) -> None:
        self.frame = _Frame("", False, False)
        self.in_class = False
        self.scores: dict[ast.AST, int] = {}

    def visit(self, node: Any, level: int) -> None:
        """Dispatch on the node's type; a dict beats NodeVisitor's getattr lookup."""
        kind = type(node)
        if kind not in _LEAVES:
            _HANDLERS.get(kind, _Walker.generic)(self, node, level)

    def visit_all(self, nodes: list[Any], level: int) -> None:
        """Visit each node of a list at the same nesting level."""
        handlers = _HANDLERS
        generic = _Walker.generic
        for node in nodes:
            kind = type(node)
            if kind not in _LEAVES:
                handlers.get(kind, generic)(self, node, level)

    def generic(self, node: ast.AST, level: int) -> None:
        """Visit the children of a node that scores nothing itself (with, assignments…)."""
        for field in _child_fields(type(node)):
            value = getattr(node, field)
            if type(value) is list:
                self.visit_all(value, level)
            else:
                self.visit(value, level)

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, level: int) -> None:
        """Score a function on its own, then add it to the enclosing one (WP App. B)."""
        # Decorators, defaults and annotations are evaluated in the enclosing scope.
        self.visit_all(node.decorator_list, level)
        self.visit(node.args, level)
        self.visit(node.returns, level)
        parent, in_class = self.frame, self.in_class
        frame = _Frame(node.name, in_class, _is_decorator_pattern(node.body))
        self.scores[node] = 0  # reserve the key so that results come in source order
        self.frame, self.in_class = frame, False
        self.visit_all(node.body, 0)
        self.frame, self.in_class = parent, in_class
        score = frame.score + frame.recursive  # WP "Recursion": +1 once; sonar-python lacks it
        self.scores[node] = score
        # sonar-python: a method starts at level 0 (a class resets nesting), and so does a def
        # inside a decorator (WP App. A); any other nested def adds one level.
        shift = 0 if in_class or parent.is_wrapper else level + 1
        parent.score += score + shift * frame.structures
        parent.structures += frame.structures

    def visit_class(self, node: ast.ClassDef, level: int) -> None:
        """Count a nested class toward its function at nesting 0, as sonar-python does."""
        self.visit_all(node.decorator_list, level)
        self.visit_all(node.bases, level)
        self.visit_all(node.keywords, level)
        frame, in_class = self.frame, self.in_class
        structures = frame.structures
        self.in_class = True
        self.visit_all(node.body, 0)  # sonar-python: a class resets the nesting level to 0...
        self.in_class = in_class
        frame.structures = structures  # ...for every enclosing function, so nothing shifts

    def visit_if(self, node: ast.If, level: int) -> None:
        """``if`` +1 plus nesting; ``elif`` and ``else`` +1 flat; bodies one level deeper."""
        frame = self.frame
        frame.nested(level)
        while True:
            self.visit(node.test, level)
            self.visit_all(node.body, level + 1)
            orelse = node.orelse
            if not orelse:
                return
            frame.score += 1  # WP App. B: else if and else raise the nesting but earn no bonus
            if not _is_elif(node, orelse):
                self.visit_all(orelse, level + 1)
                return
            node = orelse[0]  # type: ignore[assignment]  # walk elif chains without recursion

    def visit_loop(self, node: ast.For | ast.AsyncFor | ast.While, level: int) -> None:
        """Loops +1 plus nesting; a loop ``else`` +1 and nests (sonar-python, for-else = 4)."""
        self.frame.nested(level)
        if type(node) is ast.While:
            self.visit(node.test, level)
        else:
            self.visit(node.target, level)  # type: ignore[union-attr]
            self.visit(node.iter, level)  # type: ignore[union-attr]
        self.visit_all(node.body, level + 1)
        self._else(node.orelse, level)

    def visit_try(self, node: ast.Try, level: int) -> None:
        """``try``/``finally`` free; each ``except`` +1 plus nesting; ``else`` +1 (WP App. B)."""
        self.visit_all(node.body, level)
        for handler in node.handlers:
            self.frame.nested(level)
            self.visit(handler.type, level)
            self.visit_all(handler.body, level + 1)
        self._else(node.orelse, level)
        self.visit_all(node.finalbody, level)

    def _else(self, orelse: list[ast.stmt], level: int) -> None:
        """A loop or try ``else``: +1 flat, body nested (sonar-python's ElseClause)."""
        if orelse:
            self.frame.score += 1
            self.visit_all(orelse, level + 1)

    def visit_match(self, node: ast.Match, level: int) -> None:
        """A ``match`` is a switch: +1 plus nesting once, not per case (WP "Switches")."""
        self.frame.nested(level)
        self.visit(node.subject, level)
        for case in node.cases:  # patterns hold only literals and names: nothing scores
            self.visit(case.guard, level + 1)  # decision: guards sit inside the match, like bodies
            self.visit_all(case.body, level + 1)

    def visit_ifexp(self, node: ast.IfExp, level: int) -> None:
        """A conditional expression is a ternary: +1 plus nesting, and nests its parts."""
        self.frame.nested(level)
        self.visit(node.test, level + 1)  # sonar-python nests all three operands
        self.visit(node.body, level + 1)
        self.visit(node.orelse, level + 1)

    def visit_boolop(self, node: ast.BoolOp, level: int) -> None:
        """+1 per run of like operators in source order (WP "Sequences of logical operators")."""
        operators: list[type] = []
        operands: list[ast.expr] = []
        # The AST drops parentheses, so `a and (b and c)` flattens to one run (decision);
        # `not` is a unary operand and starts its own expression (sonar-python).
        _flatten_boolop(node, operators, operands)
        previous = None
        for operator in operators:
            if operator is not previous:
                self.frame.score += 1
                previous = operator
        self.visit_all(operands, level)

    def visit_lambda(self, node: ast.Lambda, level: int) -> None:
        """A lambda adds nothing but nests its body (WP App. B)."""
        self.visit(node.args, level)
        self.visit(node.body, level + 1)

    def visit_call(self, node: ast.Call, level: int) -> None:
        """Note a direct recursive call, then visit the call's parts (WP "Recursion")."""
        func, frame = node.func, self.frame
        if frame.is_method:
            if (
                type(func) is ast.Attribute
                and func.attr == frame.name
                and type(func.value) is ast.Name
                and func.value.id in _SELF_NAMES
            ):
                frame.recursive = True
        elif type(func) is ast.Name and func.id == frame.name:
            frame.recursive = True
        self.visit(func, level)
        self.visit_all(node.args, level)
        self.visit_all(node.keywords, level)

    def visit_binop(self, node: ast.BinOp, level: int) -> None:
        """Walk the left spine of ``a + b + c …`` in a loop, so long chains cannot overflow."""
        rights = []
        while type(node) is ast.BinOp:
            rights.append(node.right)
            node = node.left  # type: ignore[assignment]
        self.visit(node, level)
        self.visit_all(rights, level)


def _is_elif(node: ast.If, orelse: list[ast.stmt]) -> bool:
    """Whether ``orelse`` is an ``elif`` rather than an ``else:`` block holding an ``if``.

    Both are a lone If in ``orelse``. An ``elif`` If starts at its keyword, which the tokenizer
    keeps at the ``if``'s indentation; an ``if`` inside ``else:`` must start on a new, deeper
    indented line (a compound statement cannot follow ``else:`` on its line). So equal columns
    mean ``elif``. (A form feed before ``elif`` would shift the byte column: not supported.)
    """
    first = orelse[0]
    return len(orelse) == 1 and type(first) is ast.If and first.col_offset == node.col_offset


_Handler = Callable[[_Walker, Any, int], None]

_HANDLERS: dict[type, _Handler] = {
    ast.FunctionDef: _Walker.visit_function,
    ast.AsyncFunctionDef: _Walker.visit_function,
    ast.ClassDef: _Walker.visit_class,
    ast.If: _Walker.visit_if,
    ast.For: _Walker.visit_loop,
    ast.AsyncFor: _Walker.visit_loop,
    ast.While: _Walker.visit_loop,
    ast.Try: _Walker.visit_try,
    ast.IfExp: _Walker.visit_ifexp,
    ast.BoolOp: _Walker.visit_boolop,
    ast.Lambda: _Walker.visit_lambda,
    ast.Call: _Walker.visit_call,
    ast.BinOp: _Walker.visit_binop,
    ast.Match: _Walker.visit_match,
}
if hasattr(ast, "TryStar"):  # `except*` is Python 3.11+; the project supports 3.10
    _HANDLERS[ast.TryStar] = _Walker.visit_try


def scores_and_structures(tree: ast.AST) -> tuple[dict[ast.AST, int], int]:
    """``cognitive_complexities(tree)``, and how many increments of the functions at its top level
    carry a nesting bonus: each of those grows by one when the functions sit one level deeper."""
    walker = _Walker()
    walker.visit(tree, 0)
    return walker.scores, walker.frame.structures


def cognitive_complexities(tree: ast.AST) -> dict[ast.AST, int]:
    """Return the cognitive complexity of every (async) function definition in ``tree``.

    The result is keyed by the definition node, in source order. A nested function is scored on
    its own as if it were top level, and its increments also count toward each enclosing function.
    """
    walker = _Walker()
    walker.visit(tree, 0)
    return walker.scores
