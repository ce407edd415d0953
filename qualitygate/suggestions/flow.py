"""Data flow around one block of a function: what a helper made of it must take and give back.

The rules are conservative: anything whose meaning could change when the block moves into a
function of its own makes the block ``Unmovable``, with a reason a reader understands (issue 13).
- A parameter is a local the block reads or sets that is surely bound when the block starts
  (a parameter of the function, a simple assignment before it on the way in, an enclosing loop's
  target...). A local the block reads that may be unbound there is a reason to refuse.
- A return value is a local the block sets that the function reads anywhere (after the block, or
  again in the block on a later pass of an enclosing loop); it must be a parameter too, so the
  helper never returns a name it may not have bound.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_LOOPS = (ast.For, ast.While)
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


class Flow(NamedTuple):
    """A helper's interface: the names it takes, in order of first use, and the names it gives back."""

    params: tuple[str, ...]
    returns: tuple[str, ...]


class _Names(ast.NodeVisitor):
    """Loads and stores of plain names in order, outside nested scopes and comprehension-local names."""

    def __init__(self, block: bool) -> None:
        self.block = block  # inside the block: nested scopes and frame tricks make it unmovable
        self.loads: list[str] = []
        self.stores: list[str] = []
        self.hidden: list[set[str]] = []  # comprehension targets in force
        self.loops = 0

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
        if isinstance(node, _LOOPS):
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
        return list(_imported(node, block))
    name = getattr(node, "rest" if isinstance(node, ast.MatchMapping) else "name", None)
    bound = isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping))
    return [name] if bound and name else []


def _imported(node: ast.Import | ast.ImportFrom, block: bool) -> Iterator[str]:
    for alias in node.names:
        if alias.name == "*":
            if block:
                raise Unmovable("it holds a star import")
            continue
        yield alias.asname or alias.name.split(".")[0]


def names_in(nodes: Iterable[ast.AST], block: bool = False) -> _Names:
    """Loads and stores in ``nodes``; with ``block``, raise Unmovable on what cannot move."""
    visitor = _Names(block)
    for node in nodes:
        visitor.visit(node)
    return visitor


def parameters(func: FunctionNode) -> list[str]:
    """Every parameter name of ``func``, in order."""
    args = func.args
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    names += [args.vararg.arg] if args.vararg else []
    names += [a.arg for a in args.kwonlyargs]
    return names + ([args.kwarg.arg] if args.kwarg else [])


def _definite(stmt: ast.stmt) -> list[str]:
    """Names a statement that ran to its end surely bound (a loop may not run; a context
    manager may swallow its body's exception, so only its ``as`` names count)."""
    if isinstance(stmt, ast.Assign):
        return [name for target in stmt.targets for name in _names_of(target)]
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        target, value = stmt.target, getattr(stmt, "value", None)
        return [target.id] if isinstance(target, ast.Name) and value is not None else []
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return list(_imported(stmt, False))
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return _with_names(stmt)
    return [stmt.name] if isinstance(stmt, _SCOPES) else []  # type: ignore[union-attr]


def _with_names(stmt: ast.With | ast.AsyncWith) -> list[str]:
    return [n.id for item in stmt.items if item.optional_vars is not None
            for n in ast.walk(item.optional_vars) if isinstance(n, ast.Name)]  # fmt: skip


def _entered(parent: ast.AST, field: str) -> list[str]:
    """Names surely bound on entering ``parent``'s ``field`` list (a loop body, a with body...)."""
    if field != "body":
        return []
    if isinstance(parent, ast.For):
        return _names_of(parent.target)
    if isinstance(parent, (ast.With, ast.AsyncWith)):
        return _with_names(parent)
    if isinstance(parent, ast.match_case):
        return _captures(parent.pattern)
    name = getattr(parent, "name", None) if isinstance(parent, ast.ExceptHandler) else None
    return [name] if name else []


def _names_of(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def _captures(pattern: ast.AST) -> list[str]:
    return [n.name for n in ast.walk(pattern) if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name]


class Place(NamedTuple):
    """Where the block sits: the names surely bound there, and whether a loop or try holds it."""

    bound: frozenset[str]
    in_loop: bool
    in_try: bool


def locate(func: FunctionNode, block: ast.stmt) -> Place:
    """The names surely bound when ``block`` starts, walking from the function's body to it."""
    path = _path(func, block)
    if path is None:
        raise Unmovable("the block is not a statement of this function")
    bound = set(parameters(func))
    in_loop = in_try = False
    for parent, field, index, body in path:
        bound.update(_entered(parent, field))
        in_loop = in_loop or (isinstance(parent, _LOOPS) and field == "body")
        # A context manager may swallow an exception, as an except clause does.
        in_try = in_try or isinstance(parent, (ast.Try, getattr(ast, "TryStar", ast.Try), ast.With))
        for stmt in body[:index]:
            bound.update(_definite(stmt))
    return Place(frozenset(bound), in_loop, in_try)


_Step = tuple[ast.AST, str, int, Sequence[ast.stmt]]


def _path(node: ast.AST, block: ast.stmt) -> list[_Step] | None:
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for index, child in enumerate(getattr(node, field, None) or ()):
            if child is block:
                return [(node, field, index, getattr(node, field))]
            if isinstance(child, _SCOPES):
                continue
            rest = _path(child, block)
            if rest is not None:
                return [(node, field, index, getattr(node, field)), *rest]
    return None


def _ordered(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def flow(func: FunctionNode, block: ast.stmt) -> Flow:
    """The helper's parameters and return values, or Unmovable with the reason."""
    inside = names_in([block], block=True)
    outside = names_in([s for s in func.body if s is not block and not _contains(s, block)])
    around = _around(func, block)
    local = set(parameters(func)) | set(outside.stores) | set(around.stores) | set(inside.stores)
    touched = _ordered(inside.loads + inside.stores)
    _not_declared(func, set(touched))
    _no_capture(func, block, set(touched))
    place = locate(func, block)
    own = _own_targets(block)  # bound by the block itself before its body reads them
    # Read outside the block, or inside it before being set (on a later pass of a loop around it).
    read_elsewhere = set(outside.loads) | set(around.loads) | (set(inside.loads) - own)
    returns = [n for n in _ordered(inside.stores) if n in read_elsewhere and n in local]
    if returns and place.in_try:
        raise Unmovable("it sets names the function reads later, and a `try` or `with` around it "
                        "could see them half-set")  # fmt: skip
    needed = (set(inside.loads) - own) | set(returns)
    return Flow(_parameters_of(touched, local & needed, place), tuple(returns))


def _parameters_of(touched: list[str], needed: set[str], place: Place) -> tuple[str, ...]:
    """The needed locals in order of first use; each must be surely bound where the block starts."""
    params = tuple(n for n in touched if n in needed)
    unbound = [n for n in params if n not in place.bound]
    if unbound:
        raise Unmovable(f"`{unbound[0]}` may be unbound where the block starts")
    return params


def _not_declared(func: FunctionNode, touched: set[str]) -> None:
    """Refuse a block touching a name declared global or nonlocal, or deleted, in the function."""
    declared = {n for node in ast.walk(func) if isinstance(node, (ast.Global, ast.Nonlocal)) for n in node.names}
    declared |= {n.id for node in ast.walk(func) if isinstance(node, ast.Delete)
                 for n in node.targets if isinstance(n, ast.Name)}  # fmt: skip
    if declared & touched:
        raise Unmovable(f"`{sorted(declared & touched)[0]}` is declared global or nonlocal, or deleted")


def _own_targets(block: ast.stmt) -> set[str]:
    """A loop's target, a with's ``as`` names and except clauses' names: bound before the parts
    of the block that read them (when also read after the block, they are return values)."""
    names = set(_entered(block, "body"))
    for handler in getattr(block, "handlers", ()):
        names.update(_entered(handler, "body"))
    if isinstance(block, ast.For):  # ``for x in x:`` reads the old x first; ``else:`` may too
        names -= {n.id for part in (block.iter, *block.orelse) for n in ast.walk(part) if isinstance(n, ast.Name)}
    return names


def _contains(stmt: ast.stmt, block: ast.stmt) -> bool:
    return any(node is block for node in ast.walk(stmt))


def _around(func: FunctionNode, block: ast.stmt) -> _Names:
    """Names used in the statements that hold the block, other than the block itself."""
    holder = next((s for s in func.body if _contains(s, block) and s is not block), None)
    if holder is None:
        return names_in([])
    return names_in([_without(holder, block)])


def _without(node: ast.AST, block: ast.stmt) -> ast.AST:
    """A shallow-copied tree of ``node`` with ``block`` replaced by ``pass``."""
    import copy

    clone = copy.copy(node)
    for field, value in ast.iter_fields(node):
        if isinstance(value, list):
            setattr(clone, field, [ast.Pass() if v is block else _without(v, block) if isinstance(v, ast.AST) else v
                                   for v in value])  # fmt: skip
        elif isinstance(value, ast.AST):
            setattr(clone, field, _without(value, block))
    return clone


def _no_capture(func: FunctionNode, block: ast.stmt, touched: set[str]) -> None:
    """Refuse when a nested def, lambda or class elsewhere in the function uses a name the block
    touches: the closure would keep reading the function's variable, not the helper's."""
    for node in ast.walk(func):
        if node is func or not isinstance(node, _SCOPES):
            continue
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if used & touched:
            raise Unmovable(f"`{sorted(used & touched)[0]}` is captured by a nested function or lambda")
