"""Which names are surely bound where: after a statement, on entering a block, and the names a
block reads before it surely binds them itself (its upward-exposed reads), for extract-function.

Surely means on every path that reaches the point without an exception: a loop may run no
times, a context manager may swallow its body's exception, and a ``try`` body may stop anywhere,
so none of those bind anything for what follows them (an ``if`` with an ``else`` binds what both
branches bind).
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from qualitygate.suggestions.names import imported, names_in

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_TRIES: tuple[type[ast.stmt], ...] = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


def names_of(node: ast.AST) -> list[str]:
    """Every plain name in ``node`` (an assignment target, a loop target)."""
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def with_names(stmt: ast.With | ast.AsyncWith) -> list[str]:
    """The ``as`` names of a ``with`` statement."""
    return [name for item in stmt.items if item.optional_vars is not None for name in names_of(item.optional_vars)]


def captures(pattern: ast.AST) -> list[str]:
    """The names a ``case`` pattern binds."""
    return [n.name for n in ast.walk(pattern) if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name]


def definite(stmt: ast.stmt) -> list[str]:
    """Names a statement that ran to its end surely bound (a loop may not run; a context
    manager may swallow its body's exception, so only its ``as`` names count)."""
    if isinstance(stmt, ast.Assign):
        return [name for target in stmt.targets for name in names_of(target)]
    if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        target, value = stmt.target, getattr(stmt, "value", None)
        return [target.id] if isinstance(target, ast.Name) and value is not None else []
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return list(imported(stmt))
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return with_names(stmt)
    return [stmt.name] if isinstance(stmt, _SCOPES) else []


def entered(parent: ast.AST, field: str) -> list[str]:
    """Names surely bound on entering ``parent``'s ``field`` list (a loop body, a with body...)."""
    if field != "body":
        return []
    if isinstance(parent, (ast.For, ast.AsyncFor)):
        return names_of(parent.target)
    if isinstance(parent, (ast.With, ast.AsyncWith)):
        return with_names(parent)
    if isinstance(parent, ast.match_case):
        return captures(parent.pattern)
    name = getattr(parent, "name", None) if isinstance(parent, ast.ExceptHandler) else None
    return [name] if name else []


class Reads(NamedTuple):
    """What a block reads before binding it, and what it surely binds by its end."""

    exposed: set[str]
    bound: set[str]


def exposed_reads(block: ast.stmt) -> Reads:
    """The names ``block`` may read before it has bound them itself: what a helper made of it
    must be given. Comprehension variables are the comprehension's own."""
    scan = _Scan()
    bound = scan.statement(block, frozenset())
    return Reads(scan.exposed, set(bound))


Bound = frozenset[str]


class _Scan:
    """Statements in execution order, each read checked against the names surely bound there."""

    def __init__(self) -> None:
        self.exposed: set[str] = set()

    def read(self, nodes: Iterable[ast.AST | None], bound: Bound) -> None:
        self.exposed.update(n for n in names_in([n for n in nodes if n is not None]).loads if n not in bound)

    def body(self, statements: Sequence[ast.stmt], bound: Bound) -> Bound:
        for stmt in statements:
            bound = self.statement(stmt, bound)
        return bound

    def statement(self, stmt: ast.stmt, bound: Bound) -> Bound:
        """Check ``stmt``'s reads; return what is surely bound after it."""
        kind = type(stmt)
        if kind in (ast.For, ast.AsyncFor, ast.While):
            return self._loop(stmt, bound)  # type: ignore[arg-type]
        if kind is ast.If:
            return self._if(stmt, bound)  # type: ignore[arg-type]
        if kind in (ast.With, ast.AsyncWith):
            self.read([item.context_expr for item in stmt.items], bound)  # type: ignore[attr-defined]
            inner = bound | set(with_names(stmt))  # type: ignore[arg-type]
            self.body(stmt.body, inner)  # type: ignore[attr-defined]
            return inner  # the body may be skipped by a context manager that swallows its exception
        if kind in _TRIES:
            self._try(stmt, bound)  # type: ignore[arg-type]
            return bound
        if kind is ast.Match:
            self._match(stmt, bound)  # type: ignore[arg-type]
            return bound
        self.read([stmt], bound)  # ``x += 1`` reads x first: Names.visit_AugAssign records the load
        return bound | set(definite(stmt))

    def _loop(self, stmt: ast.For | ast.AsyncFor | ast.While, bound: Bound) -> Bound:
        if isinstance(stmt, ast.While):
            self.read([stmt.test], bound)
            self.body(stmt.body, bound)
        else:
            self.read([stmt.iter], bound)
            self.body(stmt.body, bound | set(names_of(stmt.target)))
        self.body(stmt.orelse, bound)
        return bound  # the loop may run no times

    def _if(self, stmt: ast.If, bound: Bound) -> Bound:
        self.read([stmt.test], bound)
        then = self.body(stmt.body, bound)
        otherwise = self.body(stmt.orelse, bound)
        return bound | (then & otherwise)

    def _try(self, stmt: ast.stmt, bound: Bound) -> None:
        self.body(stmt.body, bound)  # type: ignore[attr-defined]
        for handler in stmt.handlers:  # type: ignore[attr-defined]
            self.read([handler.type], bound)
            self.body(handler.body, bound | set(entered(handler, "body")))
        self.body(stmt.orelse, bound)  # type: ignore[attr-defined]
        self.body(stmt.finalbody, bound)  # type: ignore[attr-defined]

    def _match(self, stmt: ast.Match, bound: Bound) -> None:
        self.read([stmt.subject], bound)
        for case in stmt.cases:
            inner = bound | set(captures(case.pattern))
            self.read([case.guard], inner)
            self.body(case.body, inner)
