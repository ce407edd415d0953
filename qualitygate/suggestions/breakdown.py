"""Where a function's complexity comes from: what each statement costs where it sits, and alone."""
from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_KINDS: dict[type[ast.stmt], str] = {
    ast.For: "for", ast.AsyncFor: "async for", ast.While: "while", ast.If: "if", ast.Try: "try",
    ast.With: "with", ast.AsyncWith: "async with", ast.Match: "match",
    ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class",
}  # fmt: skip
if hasattr(ast, "TryStar"):
    _KINDS[ast.TryStar] = "try"
_DEFINITIONS = ("def", "async def", "class")

# What can make a simple statement score for cognitive complexity or radon's cyclomatic one:
# boolean operators, conditional expressions, lambdas, comprehensions, asserts, nested defs.
_SCORING = (ast.BoolOp, ast.IfExp, ast.Lambda, ast.comprehension, ast.Assert, ast.FunctionDef,
            ast.AsyncFunctionDef, ast.ClassDef)  # fmt: skip
# The keywords those need; a statement whose lines hold none of them scores 0 (strings and
# comments only cause a needless check).
# A keyword may follow a digit with no space (``1if x else 2``, ``1or x``): not after a letter.
_MAY_SCORE = re.compile(r"(?<![^\W\d])(?:and|or|if|lambda|for|assert|def|class)\b")
_BOOLEAN_WORD = re.compile(r"(?<![^\W\d])(?:and|or)\b")

_NO_ARGUMENTS = ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])


class StatementCost(NamedTuple):
    """One statement of a function and what it adds to each metric."""

    node: ast.stmt
    depth: int  # cognitive nesting level where it sits (0: the function's own body)
    top: bool  # a statement of the function's own body (not inside another block)
    here: int  # its share of the function's cognitive complexity, where it sits
    alone: int  # its cognitive complexity as the body of a function of its own
    structures: int  # its increments that grow with nesting (here = alone + depth * structures)
    decisions: int  # its cyclomatic decision points (radon's counting; nesting does not matter)
    operators: int = 0  # its `and`/`or` operators (each one a decision point)

    @property
    def line(self) -> int:
        """The first line of the statement."""
        return self.node.lineno

    @property
    def kind(self) -> str:
        """``for``, ``if``… ``def`` or ``class`` for nested ones, ``statement`` otherwise."""
        return _KINDS.get(type(self.node), "statement")

    @property
    def name(self) -> str:
        """The name of a nested def or class, else ""."""
        return getattr(self.node, "name", "") if self.kind in _DEFINITIONS else ""

    @property
    def branches(self) -> int:
        """Branches of an if/elif/else chain (0 for any other statement)."""
        return elif_branches(self.node)

    @property
    def compound(self) -> bool:
        """Whether it is a block statement that could move into a function of its own."""
        return self.kind not in ("statement", *_DEFINITIONS)

    @property
    def lines(self) -> int:
        """How many lines the statement spans."""
        return (self.node.end_lineno or self.node.lineno) - self.node.lineno + 1

    def summary(self) -> CostSummary:
        """Its numbers without the syntax tree: what the advisor reads, and what is cached."""
        return CostSummary(self.line, self.kind, self.name, self.compound, self.lines, self.branches,
                           self.depth, self.top, self.here, self.alone, self.structures,
                           self.decisions, self.operators)  # fmt: skip


class CostSummary(NamedTuple):
    """A ``StatementCost`` without its node: plain values, so the advice cache can store it.

    A NamedTuple rather than a frozen dataclass: a warm run builds thousands of them from the
    cache, and a frozen dataclass's ``__init__`` takes six times as long (3.6 ms on the stdlib).
    """

    line: int  # the first line of the statement
    kind: str  # ``for``, ``if``… ``def`` or ``class`` for nested ones, ``statement`` otherwise
    name: str  # the name of a nested def or class, else ""
    compound: bool  # a block statement that could move into a function of its own
    lines: int  # how many lines the statement spans
    branches: int  # branches of an if/elif/else chain (0 for any other statement)
    depth: int  # the fields below are StatementCost's
    top: bool
    here: int
    alone: int
    structures: int
    decisions: int
    operators: int


# Not an identifier, so no call in the statements is "recursive": recursion's +1 belongs to the
# function as a whole (WP "Recursion"), not to any statement in it.
_NOBODY = "<statements>"


def _as_function(body: list[ast.stmt]) -> tuple[ast.Module, ast.FunctionDef]:
    """Wrap statements in a function so the engine's own metrics can score them alone."""
    func = ast.FunctionDef(
        name=_NOBODY, args=_NO_ARGUMENTS, body=body or [ast.Pass()], decorator_list=[],
        returns=None, type_comment=None, lineno=1, col_offset=0,
    )  # fmt: skip
    return ast.Module(body=[func], type_ignores=[]), func


def cognitive_of(body: list[ast.stmt]) -> int:
    """Cognitive complexity of ``body`` as the whole body of a function.

    The engine's own visitor scores it (nothing is re-implemented): increments of statements at
    one level add up, so scoring statements alone splits a function's score between them.
    """
    return cognitive_parts(body)[0]


def cognitive_parts(body: list[ast.stmt]) -> tuple[int, int]:
    """``cognitive_of(body)`` and its structures: the increments that grow by one per nesting
    level, as the engine's visitor counts them while it scores (``here_cost(node, 1)`` minus the
    score, for a statement that is not a def, without a second walk)."""
    from qualitygate.metrics.cognitive import scores_and_structures  # not on a warm run (cache)

    module, func = _as_function(body)
    scores, structures = scores_and_structures(module)
    return scores[func], structures


def decisions_of(body: list[ast.stmt], count_asserts: bool = True) -> int:
    """Cyclomatic decision points of ``body`` (radon's complexity minus the function's 1);
    ``count_asserts`` as the project's setting of that name."""
    from qualitygate.metrics.radon_walk import decision_points  # loads radon: only when measuring

    return decision_points(body or [ast.Pass()], count_asserts)


def here_cost(node: ast.stmt, depth: int) -> int:
    """What ``node`` adds at nesting level ``depth``: scored inside ``depth`` bare ``if``s,
    which cost 1 + 2 + … + depth themselves (WP App. B)."""
    wrapped = node
    for _ in range(depth):
        wrapped = ast.If(test=ast.Name(id="_", ctx=ast.Load()), body=[wrapped], orelse=[],
                         lineno=node.lineno, col_offset=-1)  # fmt: skip
    return cognitive_of([wrapped]) - depth * (depth + 1) // 2


def _is_elif(node: ast.If) -> bool:
    # The cognitive visitor's test: an elif's If starts at the column of its parent's `if`.
    orelse = node.orelse
    return len(orelse) == 1 and type(orelse[0]) is ast.If and orelse[0].col_offset == node.col_offset


def blocks(node: ast.stmt) -> Iterator[tuple[list[ast.stmt], int]]:
    """The statement lists inside a block statement, each with the nesting it adds (0 or 1)."""
    kind = type(node)
    if kind is ast.If and _is_elif(node):  # type: ignore[arg-type]
        yield node.body, 1  # type: ignore[attr-defined]
        yield from blocks(node.orelse[0])  # type: ignore[attr-defined]  # the elif: same level
        return
    flat = kind in (ast.With, ast.AsyncWith) or _KINDS.get(kind) == "try"
    for field in ("body", "orelse", "finalbody"):
        value = getattr(node, field, None)
        if value:  # try bodies, finally and with bodies do not nest (WP App. B)
            yield value, 0 if flat and field != "orelse" else 1
    for part in (*getattr(node, "handlers", ()), *getattr(node, "cases", ())):
        yield part.body, 1


def hollow(node: ast.stmt) -> ast.stmt:
    """A copy of ``node`` whose nested blocks are ``pass``: its keywords and conditions only."""
    shell = copy.copy(node)
    for field in ("body", "orelse", "finalbody"):
        if field == "orelse" and type(node) is ast.If and _is_elif(node):
            shell.orelse = [hollow(node.orelse[0])]  # type: ignore[attr-defined]
        elif getattr(node, field, None):
            setattr(shell, field, [ast.Pass()])
    for field in ("handlers", "cases"):
        if hasattr(node, field):
            setattr(shell, field, [_hollow_part(p) for p in getattr(node, field)])
    return shell


def _hollow_part(part: ast.AST) -> ast.AST:
    shell = copy.copy(part)
    shell.body = [ast.Pass()]  # type: ignore[attr-defined]
    return shell


def elif_branches(node: ast.stmt) -> int:
    """Branches of an ``if``/``elif``/``else`` chain (0 for anything else)."""
    if not isinstance(node, ast.If):
        return 0
    chain: ast.If = node
    count = 1
    while _is_elif(chain):
        chain = chain.orelse[0]  # type: ignore[assignment]  # _is_elif checked it is an If
        count += 1
    return count + bool(chain.orelse)


class _Costing:
    """Costs bottom-up: a block statement is its hollow shell plus its children at their level.

    Scoring each statement's whole subtree instead would cost depth times more, and the advisor
    runs on every violation of every check.
    """

    def __init__(self, lines: Sequence[str] | None, count_asserts: bool = True) -> None:
        self.found: list[StatementCost] = []
        self.lines = lines  # the file's source lines, when known: a cheap test for zero cost
        self.count_asserts = count_asserts  # the project's: asserts are decisions only when counted

    def _text(self, node: ast.stmt) -> str | None:
        """The statement's source lines (a def's or class's from its first decorator), when the
        file's lines are known."""
        if self.lines is None:
            return None
        decorators = getattr(node, "decorator_list", None)
        first = decorators[0].lineno if decorators else node.lineno
        return "".join(self.lines[first - 1 : node.end_lineno or node.lineno])

    @staticmethod
    def _zero(node: ast.stmt, text: str | None) -> bool:
        """Whether a simple statement surely scores nothing (most do: x = f(y))."""
        if text is not None:
            return _MAY_SCORE.search(text) is None
        return not any(isinstance(n, _SCORING) for n in ast.walk(node))

    def body(self, statements: Sequence[ast.stmt], depth: int, top: bool) -> list[StatementCost]:
        return [self.statement(node, depth, top) for node in statements]

    def statement(self, node: ast.stmt, depth: int, top: bool) -> StatementCost:
        index = len(self.found)
        self.found.append(None)  # type: ignore[arg-type]  # keeps source order, parents first
        if _KINDS.get(type(node), "statement") in ("statement", *_DEFINITIONS):
            cost = self._leaf(node, depth, top)
        else:
            cost = self._block(node, depth, top)
        self.found[index] = cost
        return cost

    def _leaf(self, node: ast.stmt, depth: int, top: bool) -> StatementCost:
        text = self._text(node)
        if self._zero(node, text):
            return StatementCost(node, depth, top, 0, 0, 0, 0, 0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # A nested def adds its score plus (level + 1) per structure; scored alone it would
            # be a decorator's body, which shifts by nothing (WP App. A), so measure two levels.
            once, twice = here_cost(node, 1), here_cost(node, 2)
            structures, alone = twice - once, 2 * once - twice
        else:
            alone, structures = cognitive_parts([node])
        # No `and` or `or` word in its lines: no boolean operator (the walk would find none).
        operators = boolean_operators(node) if text is None or _BOOLEAN_WORD.search(text) else 0
        return StatementCost(node, depth, top, alone + depth * structures, alone, structures,
                             decisions_of([node], self.count_asserts), operators)  # fmt: skip

    def _block(self, node: ast.stmt, depth: int, top: bool) -> StatementCost:
        shell = hollow(node)
        alone, structures = cognitive_parts([shell])
        decisions, operators = decisions_of([shell], self.count_asserts), boolean_operators(shell)
        for statements, extra in blocks(node):
            for child in self.body(statements, depth + extra, False):
                alone += _at(child, extra)
                structures += child.structures
                decisions += child.decisions
                operators += child.operators
        return StatementCost(node, depth, top, alone + depth * structures, alone, structures,
                             decisions, operators)  # fmt: skip


def _at(cost: StatementCost, level: int) -> int:
    """What a statement adds at nesting ``level``: each structure gains one per level."""
    return cost.alone + level * cost.structures


def statement_costs(
    func: FunctionNode, lines: Sequence[str] | None = None, count_asserts: bool = True
) -> list[StatementCost]:
    """Every statement of ``func`` at any depth (not inside nested defs), in source order.

    ``lines`` (the file's source lines) make the common zero-cost statements cheap to skip.
    """
    costing = _Costing(lines, count_asserts)
    costing.body(func.body, 0, True)
    return costing.found


def boolean_operators(node: ast.AST) -> int:
    """How many ``and``/``or`` operators ``node`` holds (each one is a decision point)."""
    return sum(len(n.values) - 1 for n in ast.walk(node) if type(n) is ast.BoolOp)
