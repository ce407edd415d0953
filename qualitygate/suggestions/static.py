"""Static checks on the patched module, counting only findings the original did not have (issue 13).

pyflakes finds undefined names (a helper in a class body called by bare name, an unbound local)
and unused imports and variables; the rest are small checks pyflakes does not make.
"""
from __future__ import annotations

import ast
import re
import sys
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from qualitygate.suggestions.evidence import Rejected

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on old interpreters
    import tomli as tomllib

# ast.parse's feature_version goes no lower than 3.7 (older grammars are not kept).
_LOWEST_GRAMMAR = 7
_LOWER_BOUND = re.compile(r"(>=|~=|==|>)\s*3\.(\d+)")
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _messages(tree: ast.Module, path: str) -> Counter[tuple[str, str]]:
    """pyflakes' findings, keyed without line numbers (lines move in a rewrite)."""
    from pyflakes.checker import Checker

    found: Counter[tuple[str, str]] = Counter()
    for message in Checker(tree, filename=path).messages:
        args = tuple(a for a in message.message_args if not isinstance(a, int))
        text = message.message % message.message_args
        found[(type(message).__name__ + repr(args), re.sub(r" from line \d+", "", text))] += 1
    return found


def check_pyflakes(original: ast.Module, patched: ast.Module, path: str) -> None:
    """No pyflakes finding the original module did not have (undefined names, unused names...)."""
    new = _messages(patched, path) - _messages(original, path)
    if new:
        texts = sorted(text for _, text in new)
        raise Rejected(f"pyflakes finds new problems: {'; '.join(texts)}")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")  # fmt: skip


def top_level(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """The module's statements, inside ``if``/``try``/``with``/loops too, not inside defs."""
    for node in body:
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from top_level(getattr(node, field, None) or [])


def _targets(node: ast.AST) -> list[ast.AST]:
    """What an assignment, loop or ``with`` binds to."""
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [i.optional_vars for i in node.items if i.optional_vars is not None]
    return []


def _bound_by(node: ast.AST) -> set[str]:
    """The names one statement binds where it sits (not inside its nested blocks)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, ast.ExceptHandler):
        return {node.name} if node.name else set()
    return {n.id for t in _targets(node) for n in ast.walk(t) if isinstance(n, ast.Name)}


def bound_names(body: Iterable[ast.stmt]) -> set[str]:
    """Every name a module or class body binds, in its ``if``/``try`` blocks included."""
    names: set[str] = set()
    for node in top_level(body):
        names |= _bound_by(node)  # except handlers are walked too: `except E as name`
    return names


def type_checking_only(tree: ast.Module) -> tuple[set[str], list[ast.stmt]]:
    """Names bound only under ``if TYPE_CHECKING:``, and those blocks."""
    blocks = [n for n in top_level(tree.body) if isinstance(n, ast.If) and _is_type_checking(n.test)]
    guarded = [s for b in blocks for s in b.body]
    hidden = {id(node) for node in top_level(guarded)}
    inside = bound_names(guarded)
    outside = {name for node in top_level(tree.body) if id(node) not in hidden for name in _bound_by(node)}
    return inside - outside, guarded


class _RuntimeNames(ast.NodeVisitor):
    """Loads of some names in code that runs: annotations count only when they are evaluated."""

    def __init__(self, names: set[str], skipped: list[ast.stmt], lazy_annotations: bool) -> None:
        self.names = names
        self.skipped = {id(s) for s in skipped}
        self.lazy = lazy_annotations  # from __future__ import annotations
        self.found: Counter[str] = Counter()
        self.in_function = 0

    def visit(self, node: ast.AST) -> None:
        if id(node) not in self.skipped:
            super().visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and node.id in self.names:
            self.found[node.id] += 1

    def visit_arg(self, node: ast.arg) -> None:
        if node.annotation is not None and not self.lazy:
            self.visit(node.annotation)

    def _function(self, node: FunctionNode) -> None:
        for part in (*node.decorator_list, node.args):
            self.visit(part)
        if node.returns is not None and not self.lazy:
            self.visit(node.returns)
        self.in_function += 1
        for statement in node.body:
            self.visit(statement)
        self.in_function -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        # A local variable's annotation is never evaluated (PEP 526).
        if not self.lazy and not self.in_function:
            self.visit(node.annotation)
        for part in (node.target, node.value):
            if part is not None:
                self.visit(part)


def _runtime_uses(tree: ast.Module) -> Counter[str]:
    names, blocks = type_checking_only(tree)
    if not names:
        return Counter()
    lazy = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
               and any(a.name == "annotations" for a in n.names) for n in tree.body)  # fmt: skip
    visitor = _RuntimeNames(names, blocks, lazy)
    visitor.visit(tree)
    return visitor.found


def check_type_checking(original: ast.Module, patched: ast.Module) -> None:
    """No new run-time use of a name imported only under ``if TYPE_CHECKING:`` (a NameError)."""
    new = _runtime_uses(patched) - _runtime_uses(original)
    if new:
        name = sorted(new)[0]
        raise Rejected(f"uses `{name}` at run time, but it is imported only under "
                       "`if TYPE_CHECKING:` (a NameError when it runs)")  # fmt: skip


@lru_cache(maxsize=64)
def _requires_python(folder: Path) -> int | None:
    """The lowest Python 3 minor version the nearest pyproject.toml's requires-python allows."""
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        project = data.get("project")
        spec = project.get("requires-python") if isinstance(project, dict) else None
        if not isinstance(spec, str):
            return None
        minors = [int(minor) for _, minor in _LOWER_BOUND.findall(spec)]
        return min(minors) if minors else None
    return None


def lowest_minor(path: str) -> int | None:
    """The project's lowest supported Python 3 minor version (requires-python), if it says."""
    return _requires_python(Path(path).resolve().parent)


def _parses(source: str, minor: int) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source, feature_version=(3, max(minor, _LOWEST_GRAMMAR)))
    except SyntaxError:
        return False
    return True


def check_grammar(original: str, patched: str, minor: int | None) -> None:
    """The patched module parses with the grammar of the lowest Python the project supports."""
    if minor is None or _parses(patched, minor) or not _parses(original, minor):
        return
    try:
        ast.parse(patched, feature_version=(3, max(minor, _LOWEST_GRAMMAR)))
    except SyntaxError as exc:
        raise Rejected(f"uses syntax that Python 3.{minor} (requires-python) does not have: "
                       f"{exc.msg} (line {exc.lineno})") from None  # fmt: skip


def _own_nodes(function: FunctionNode) -> Iterator[ast.AST]:
    """The nodes of a function's own scope: nested defs, classes and lambdas are left out."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            pending.extend(ast.iter_child_nodes(node))


def _shape(function: FunctionNode) -> tuple[bool, bool]:
    """(returns a value somewhere, is a generator)."""
    nodes = list(_own_nodes(function))
    returns = any(isinstance(n, ast.Return) and n.value is not None
                  and not (isinstance(n.value, ast.Constant) and n.value.value is None) for n in nodes)  # fmt: skip
    return returns, any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in nodes)


def _says_none(annotation: ast.expr | None) -> bool:
    if annotation is None or (isinstance(annotation, ast.Constant) and annotation.value in (None, "None")):
        return True
    name = annotation.attr if isinstance(annotation, ast.Attribute) else getattr(annotation, "id", "")
    return name in ("NoReturn", "Never", "None")


def _only_raises(function: FunctionNode) -> bool:
    body = [s for s in function.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return not body or all(isinstance(s, (ast.Raise, ast.Pass)) for s in body)


def _check_rewrite(original: FunctionNode, rewrite: FunctionNode) -> None:
    """The rewritten function still returns a value, and is a generator exactly when it was."""
    (was_returning, was_generator), (returns, generator) = _shape(original), _shape(rewrite)
    if was_generator != generator:
        state = "is no longer" if was_generator else "becomes"
        raise Rejected(f"`{rewrite.name}` {state} a generator")
    if was_returning and not returns and not generator:
        raise Rejected(f"`{rewrite.name}` no longer returns a value (the original did)")


def check_returns(original: FunctionNode, new_defs: Iterable[FunctionNode]) -> None:
    """A value-returning function still returns one; an annotated one has a ``return`` left."""
    for function in new_defs:
        if function.name == original.name:
            _check_rewrite(original, function)
        returns, generator = _shape(function)
        if function.returns is None or returns or generator or _says_none(function.returns):
            continue
        if not _only_raises(function):
            raise Rejected(f"`{function.name}` is annotated `-> {ast.unparse(function.returns)}` "
                           "but never returns a value")  # fmt: skip


def _reads(functions: Iterable[FunctionNode]) -> tuple[set[str], set[str]]:
    """Attribute names read and string constants used (docstrings left out)."""
    attributes: set[str] = set()
    strings: set[str] = set()
    for function in functions:
        docstring = ast.get_docstring(function, clean=False)
        for node in ast.walk(function):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                attributes.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value != docstring:
                strings.add(node.value)
    return attributes, strings


def dropped_reads(original: FunctionNode, new_defs: Iterable[FunctionNode]) -> tuple[str, ...]:
    """What the original read that no new def reads any more: a hint of dropped behaviour."""
    (old_attrs, old_strings), (attrs, strings) = _reads([original]), _reads(new_defs)
    found = [f"no longer reads `.{a}`" for a in sorted(old_attrs - attrs)]
    found += [f"no longer uses the string {s!r}" for s in sorted(old_strings - strings)[:5]]
    return tuple(found)
