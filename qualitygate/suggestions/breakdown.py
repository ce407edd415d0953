"""Where a function's complexity comes from: what each statement costs where it sits, and alone."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from qualitygate.metrics.cognitive import cognitive_complexities
from qualitygate.metrics.radon_walk import radon_metrics

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_KINDS: dict[type[ast.stmt], str] = {
    ast.For: "for", ast.AsyncFor: "async for", ast.While: "while", ast.If: "if", ast.Try: "try",
    ast.With: "with", ast.AsyncWith: "async with", ast.Match: "match",
    ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class",
}  # fmt: skip
if hasattr(ast, "TryStar"):
    _KINDS[ast.TryStar] = "try"
_DEFINITIONS = ("def", "async def", "class")

_NO_ARGUMENTS = ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])


@dataclass(frozen=True)
class StatementCost:
    """One statement of a function and what it adds to each metric."""

    line: int
    end_line: int
    kind: str  # "for", "if", "try"... "def"/"class" for nested ones, "statement" otherwise
    depth: int  # cognitive nesting level where it sits (0: the function's own body)
    top: bool  # a statement of the function's own body (not inside another block)
    here: int  # its share of the function's cognitive complexity, where it sits
    alone: int  # its cognitive complexity as the body of a function of its own
    decisions: int  # its cyclomatic decision points (radon's counting; nesting does not matter)
    branches: int = 0  # branches of an if/elif/else chain
    name: str = ""  # the name of a nested def or class

    @property
    def compound(self) -> bool:
        """Whether it is a block statement that could move into a function of its own."""
        return self.kind not in ("statement", *_DEFINITIONS)

    @property
    def lines(self) -> int:
        """How many lines the statement spans."""
        return self.end_line - self.line + 1


def _as_function(body: list[ast.stmt], name: str) -> tuple[ast.Module, ast.FunctionDef]:
    """Wrap statements in ``def name():`` so the engine's own metrics can score them alone."""
    func = ast.FunctionDef(
        name=name, args=_NO_ARGUMENTS, body=body or [ast.Pass()], decorator_list=[],
        returns=None, type_comment=None, lineno=1, col_offset=0,
    )  # fmt: skip
    return ast.Module(body=[func], type_ignores=[]), func


def cognitive_of(body: list[ast.stmt], name: str) -> int:
    """Cognitive complexity of ``body`` as the whole body of a function named ``name``.

    The engine's own visitor scores it (nothing is re-implemented): increments of statements at
    one level add up, so scoring statements alone splits a function's score between them.
    """
    module, func = _as_function(body, name)
    return cognitive_complexities(module)[func]


def decisions_of(body: list[ast.stmt], name: str) -> int:
    """Cyclomatic decision points of ``body`` (radon's complexity minus the function's 1)."""
    module, func = _as_function(body, name)
    return radon_metrics(module).complexity[func] - 1


def _nested(node: ast.stmt, depth: int) -> tuple[int, ast.stmt]:
    """``node`` inside ``depth`` bare ``if`` statements, and what those cost: 1 + 2 + … + depth."""
    wrapped = node
    for _ in range(depth):
        wrapped = ast.If(test=ast.Name(id="_", ctx=ast.Load()), body=[wrapped], orelse=[],
                         lineno=node.lineno, col_offset=-1)  # fmt: skip
    return depth * (depth + 1) // 2, wrapped


def here_cost(node: ast.stmt, depth: int, name: str) -> int:
    """What ``node`` adds to the function at nesting level ``depth`` (its nesting bonus included)."""
    wrappers, wrapped = _nested(node, depth)
    return cognitive_of([wrapped], name) - wrappers


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


def statement_cost(node: ast.stmt, depth: int, top: bool, name: str) -> StatementCost:
    """One statement's costs; ``name`` is the function's, so recursion still counts."""
    kind = _KINDS.get(type(node), "statement")
    return StatementCost(
        line=node.lineno,
        end_line=node.end_lineno or node.lineno,
        kind=kind,
        depth=depth,
        top=top,
        here=here_cost(node, depth, name),
        alone=cognitive_of([node], name),
        decisions=decisions_of([node], name),
        branches=elif_branches(node),
        name=getattr(node, "name", "") if kind in _DEFINITIONS else "",
    )


def statement_costs(func: FunctionNode) -> list[StatementCost]:
    """Every statement of ``func`` at any depth (not inside nested defs), in source order."""
    found: list[StatementCost] = []

    def walk(body: list[ast.stmt], depth: int, top: bool) -> None:
        for node in body:
            cost = statement_cost(node, depth, top, func.name)
            found.append(cost)
            if cost.compound:
                for block, extra in blocks(node):
                    walk(block, depth + extra, False)

    walk(func.body, 0, True)
    return found


def boolean_operators(func: FunctionNode) -> int:
    """How many ``and``/``or`` operators the function has (each one is a decision point)."""
    return sum(len(n.values) - 1 for n in ast.walk(func) if type(n) is ast.BoolOp)
