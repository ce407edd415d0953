"""Inline suppressions, read: each ``# qualitygate: ignore`` comment tied to what it covers (in the worker,
where the source text is); the gate applies them."""
from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from qualitygate.models import Scope, Suppression

MARKER = "qualitygate:"
NOQA_CODE = "C901"  # mccabe's and ruff's cyclomatic-complexity code, read as QG001 (issue 16)
# A comment that starts like a directive, or a ruff/flake8 ``noqa`` comment naming ``C901`` comment.
_MENTION = re.compile(r"#\s*(?:qualitygate:|(?i:noqa)\s*:[\w\s,]*\bC901\b)")
_QUALITYGATE = re.compile(r"#\s*qualitygate:")
_NOQA = re.compile(r"#\s*(?i:noqa)\s*:[\w\s,]*\bC901\b")
_DIRECTIVE = re.compile(r"#\s*qualitygate:\s*(?P<kind>ignore-file|ignore)(?![\w-])(?:\[(?P<names>[^\]]*)\])?")
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class _Comment(NamedTuple):
    line: int
    text: str
    own_line: bool  # nothing but whitespace before the ``#``


class _Header(NamedTuple):
    """The lines of one ``def`` before its body: decorators, signature and the def line."""

    first: int
    lineno: int
    last: int


def scan(source: str, tree: ast.Module, functions: Iterable[FunctionNode]) -> tuple[Suppression, ...]:
    """Every suppression comment in ``source``, each tied to what it covers or to its problem."""
    if MARKER not in source and NOQA_CODE not in source:  # the common case: two substring searches
        return ()
    lines = source.splitlines()
    headers = [_header(node) for node in functions]
    limit = _code_start(tree)
    found = []
    for comment in _comments(source):
        if _QUALITYGATE.search(comment.text):
            found.append(_suppression(comment, lines, headers, limit))
        noqa = _NOQA.search(comment.text)
        target = _target(comment, lines, headers) if noqa and not comment.own_line else 0
        if target:  # elsewhere a ``noqa`` is another linter's business, so nothing is said about it
            found.append(Suppression(comment.line, Scope.FUNCTION, (NOQA_CODE,), target, kind="noqa"))
    return tuple(found)


def _comments(source: str) -> list[_Comment]:
    """Comments that mention the marker; tokenize keeps ``#`` inside strings out."""
    found = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and _MENTION.search(tok.string):
                own = not tok.line[: tok.start[1]].strip()
                found.append(_Comment(tok.start[0], tok.string, own))
    except (tokenize.TokenError, SyntaxError):  # ast accepted it; fall back to a line scan
        return list(_line_comments(source))
    return found


def _line_comments(source: str) -> Iterator[_Comment]:
    for number, text in enumerate(source.splitlines(), 1):
        at = text.find("#")
        if at != -1 and _MENTION.search(text, at):
            yield _Comment(number, text[at:], not text[:at].strip())


def _header(node: FunctionNode) -> _Header:
    first = min([d.lineno for d in node.decorator_list], default=node.lineno)
    body = node.body[0].lineno
    return _Header(first, node.lineno, body - 1 if body > node.lineno else node.lineno)


def _code_start(tree: ast.Module) -> int:
    """The first line of code other than the module docstring and imports."""
    for index, stmt in enumerate(tree.body):
        docstring = index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        if not docstring and not isinstance(stmt, (ast.Import, ast.ImportFrom)):
            return stmt.lineno
    return 1 << 30


def _suppression(comment: _Comment, lines: Sequence[str], headers: Sequence[_Header], limit: int) -> Suppression:
    match = _DIRECTIVE.search(comment.text)
    if match is None:
        return Suppression(comment.line, Scope.FUNCTION, problem="not a qualitygate directive "
                           "(expected 'qualitygate: ignore', 'ignore[...]' or 'ignore-file')")  # fmt: skip
    raw = match.group("names")
    names = tuple(n.strip() for n in raw.split(",") if n.strip()) if raw else ()
    if match.group("kind") == "ignore-file":
        problem = "" if comment.line < limit else (
            "ignore-file must come before the first line of code (after the docstring and imports)"
        )
        return Suppression(comment.line, Scope.FILE, names, problem=problem)
    target = _target(comment, lines, headers)
    problem = "" if target else "not on a def line nor directly above a def or its decorators"
    return Suppression(comment.line, Scope.FUNCTION, names, target, problem)


def _target(comment: _Comment, lines: Sequence[str], headers: Sequence[_Header]) -> int:
    """The def line of the function the comment covers, or 0."""
    if not comment.own_line:
        # A trailing comment on the def line, a decorator or a wrapped signature line.
        inside = [h for h in headers if h.first <= comment.line <= h.last]
        return max(inside, key=lambda h: h.first).lineno if inside else 0
    below = comment.line  # skip the rest of a block of comment lines (several directives)
    while below < len(lines) and lines[below].lstrip().startswith("#"):
        below += 1
    below += 1
    return next((h.lineno for h in headers if below in (h.first, h.lineno)), 0)
