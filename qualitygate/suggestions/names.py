"""The plain names code loads and stores (comprehension variables left to the comprehension),
and, for a block about to move into a helper, what ties it to its function (issue 13)."""
from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

LOOPS = (ast.For, ast.While)
# Statements and expressions whose effect is tied to the function they are written in.
_TIED: dict[type[ast.AST], str] = {
    ast.Return: "returns from the function",
    ast.Yield: "yields",
    ast.YieldFrom: "yields",
    ast.Await: "awaits (the helper would have to be async)",
    ast.AsyncFor: "has an `async for` (the helper would have to be async)",
    ast.AsyncWith: "has an `async with` (the helper would have to be async)",
    ast.Global: "declares a global",
    ast.Nonlocal: "declares a nonlocal",
    ast.Delete: "deletes names",
}
# Calls that read or change the calling frame: moved, they would see the helper's frame.
_FRAME_CALLS = frozenset(("locals", "vars", "eval", "exec", "dir", "globals", "super"))


class Unmovable(Exception):
    """The block cannot move into a helper without changing behaviour; the message says why."""


class Names(ast.NodeVisitor):
    """Loads and stores of plain names in order, outside nested scopes and comprehension-local names."""

    def __init__(self, block: bool) -> None:
        self.block = block  # inside the block: nested scopes and frame tricks make it unmovable
        self.loads: list[str] = []
        self.stores: list[str] = []
        self.hidden: list[set[str]] = []  # comprehension targets in force
        self.loops = 0

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        """``x += 1`` reads x before it stores it."""
        if isinstance(node.target, ast.Name) and not any(node.target.id in names for names in self.hidden):
            self.loads.append(node.target.id)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if any(node.id in names for names in self.hidden):
            return
        (self.loads if isinstance(node.ctx, ast.Load) else self.stores).append(node.id)

    def _scope(self, node: ast.AST) -> None:
        if self.block:
            raise Unmovable("it defines a function, lambda or class (a closure may capture its names)")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.stores.append(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _scope

    def _comprehension(self, node: ast.AST) -> None:
        generators = node.generators  # type: ignore[attr-defined]
        targets = {n.id for g in generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
        self.visit(generators[0].iter)  # evaluated in the enclosing scope
        self.hidden.append(targets)
        for g in generators:
            for part in (g.target, *([g.iter] if g is not generators[0] else []), *g.ifs):
                self.visit(part)
        for field in ("elt", "key", "value"):
            if hasattr(node, field):
                self.visit(getattr(node, field))
        self.hidden.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def generic_visit(self, node: ast.AST) -> None:
        if self.block:
            self._check(node)
        self.stores.extend(_bound_here(node, self.block))
        if isinstance(node, LOOPS):
            self._loop(node)
            return
        super().generic_visit(node)

    def _loop(self, node: ast.For | ast.While) -> None:
        """A break or continue in the body stays in the block; one in the ``else`` does not."""
        self.loops += 1
        for part in (node.target, node.iter) if isinstance(node, ast.For) else (node.test,):
            self.visit(part)
        for stmt in node.body:
            self.visit(stmt)
        self.loops -= 1
        for stmt in node.orelse:
            self.visit(stmt)

    def _check(self, node: ast.AST) -> None:
        reason = _TIED.get(type(node))
        if reason:
            raise Unmovable(f"it {reason}")
        if isinstance(node, (ast.Break, ast.Continue)) and not self.loops:
            raise Unmovable("a `break` or `continue` in it leaves a loop outside it")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FRAME_CALLS:
            raise Unmovable(f"it calls `{node.func.id}()`, which reads or changes the function's own frame")


def _bound_here(node: ast.AST, block: bool) -> list[str]:
    """Names bound by ``node`` other than through a Name: imports, except clauses, match captures."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return list(imported(node, block))
    name = getattr(node, "rest" if isinstance(node, ast.MatchMapping) else "name", None)
    bound = isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping))
    return [name] if bound and name else []


def imported(node: ast.Import | ast.ImportFrom, block: bool = False) -> Iterator[str]:
    """The names an import binds; a star import binds none that can be named (with ``block``,
    it cannot move: Unmovable)."""
    for alias in node.names:
        if alias.name == "*":
            if block:
                raise Unmovable("it holds a star import")
            continue
        yield alias.asname or alias.name.split(".")[0]


def names_in(nodes: Iterable[ast.AST], block: bool = False) -> Names:
    """Loads and stores in ``nodes``; with ``block``, raise Unmovable on what cannot move."""
    visitor = Names(block)
    for node in nodes:
        visitor.visit(node)
    return visitor
