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
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from qualitygate.suggestions.binding import definite, entered, exposed_reads
from qualitygate.suggestions.names import LOOPS, Names, Unmovable, names_in

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
class Flow(NamedTuple):
    """A helper's interface: the names it takes, in order of first use, and the names it gives back."""

    params: tuple[str, ...]
    returns: tuple[str, ...]


def parameters(func: FunctionNode) -> list[str]:
    """Every parameter name of ``func``, in order."""
    args = func.args
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    names += [args.vararg.arg] if args.vararg else []
    names += [a.arg for a in args.kwonlyargs]
    return names + ([args.kwarg.arg] if args.kwarg else [])


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
        bound.update(entered(parent, field))
        in_loop = in_loop or (isinstance(parent, LOOPS) and field == "body")
        # A context manager may swallow an exception, as an except clause does.
        in_try = in_try or isinstance(parent, (ast.Try, getattr(ast, "TryStar", ast.Try), ast.With))
        for stmt in body[:index]:
            bound.update(definite(stmt))
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
    reads = exposed_reads(block)  # read before the block itself surely binds them
    # Read outside the block, or inside it before being set (on a later pass of a loop around it).
    read_elsewhere = set(outside.loads) | set(around.loads) | reads.exposed
    returns = [n for n in _ordered(inside.stores) if n in read_elsewhere and n in local]
    if returns and place.in_try:
        raise Unmovable("it sets names the function reads later, and a `try` or `with` around it "
                        "could see them half-set")  # fmt: skip
    # A returned name the block may leave unset must come in, so the helper can give it back.
    needed = reads.exposed | (set(returns) - reads.bound)
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


def _contains(stmt: ast.stmt, block: ast.stmt) -> bool:
    return any(node is block for node in ast.walk(stmt))


def _around(func: FunctionNode, block: ast.stmt) -> Names:
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
