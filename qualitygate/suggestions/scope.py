"""Where a helper goes, and what it may not do there: shadow a name, or run code on import."""
from __future__ import annotations

import ast
import builtins
from collections import Counter
from collections.abc import Iterable, Iterator

from qualitygate.suggestions.evidence import Rejected
from qualitygate.suggestions.static import FunctionNode, bound_names

# The only decorators a new helper may have: they run no code of the project's on import.
HELPER_DECORATORS = frozenset({"staticmethod", "classmethod"})
_BUILTINS = frozenset(dir(builtins))
_RUNS = (ast.Call, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)


def _defs(node: ast.AST, scope: ast.AST, prefix: str) -> Iterator[tuple[str, FunctionNode, ast.AST]]:
    """Every def below ``node`` in source order: its qualname, itself, the scope that holds it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + child.name, child, scope
            yield from _defs(child, child, f"{prefix}{child.name}.<locals>.")
        elif isinstance(child, ast.ClassDef):
            yield from _defs(child, child, f"{prefix}{child.name}.")
        else:
            yield from _defs(child, scope, prefix)


def locate(tree: ast.Module, qualname: str, index: int) -> tuple[FunctionNode, ast.AST] | None:
    """The ``index``-th def with ``qualname`` (``__qualname__`` rules) and the module, class or
    function whose scope holds it."""
    same = [(node, scope) for name, node, scope in _defs(tree, tree, "") if name == qualname]
    return same[index] if index < len(same) else None


def module_classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    """The module's top-level classes by name (inside ``if``/``try`` too; the last one wins)."""
    found: dict[str, ast.ClassDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            found.setdefault(node.name, node)
    return found


def class_names(cls: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> tuple[set[str], list[str]]:
    """Names bound in ``cls`` and in its bases defined in this module; the bases not looked at."""
    names: set[str] = set()
    unknown: list[str] = []
    pending, seen = [cls], {cls.name}
    while pending:
        current = pending.pop()
        names |= bound_names(current.body)
        for base in current.bases:
            if isinstance(base, ast.Name) and base.id == "object":
                continue
            if isinstance(base, ast.Name) and base.id in classes:
                if base.id not in seen:
                    seen.add(base.id)
                    pending.append(classes[base.id])
                continue
            unknown.append(f"the names inherited from `{ast.unparse(base)}` (defined elsewhere)")
    return names, unknown


def _subclass_clash(cls: ast.ClassDef, classes: dict[str, ast.ClassDef], name: str) -> str | None:
    """A class of this module that derives from ``cls`` and defines ``name`` (it would win)."""
    for other in classes.values():
        derives = any(isinstance(b, ast.Name) and b.id == cls.name for b in other.bases)
        if derives and name in bound_names(other.body):
            return other.name
    return None


def check_shadowing(tree: ast.Module, scope: ast.AST, helpers: Iterable[FunctionNode]) -> tuple[str, ...]:
    """Helpers need fresh names where they go: in the module (``if``/``try`` blocks and imports
    included), the class and its bases, or the enclosing function; never a builtin's name.

    Returns what could not be checked (bases defined in another module).
    """
    names = [h.name for h in helpers]
    for name, count in Counter(names).items():
        if count > 1:
            raise Rejected(f"helper `{name}` is defined {count} times")
    module = bound_names(tree.body)
    unknown: list[str] = []
    if isinstance(scope, ast.ClassDef):
        taken, unknown = class_names(scope, module_classes(tree))
    elif isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        taken = {n.id for n in ast.walk(scope) if isinstance(n, ast.Name)} | bound_names(scope.body) | module
    else:
        taken = module
    for name in names:
        _check_name(name, scope, taken, tree)
    return tuple(dict.fromkeys(unknown))


def _check_name(name: str, scope: ast.AST, taken: set[str], tree: ast.Module) -> None:
    where = {ast.ClassDef: "the class or its bases", ast.Module: "the module"}.get(type(scope), "the enclosing function")
    if name in taken:
        raise Rejected(f"helper `{name}` reuses a name already defined in {where}")
    if name in _BUILTINS:
        raise Rejected(f"helper `{name}` shadows the builtin `{name}`")
    if isinstance(scope, ast.ClassDef):
        if name.startswith("__") and name.endswith("__"):
            raise Rejected(f"helper `{name}` is a special method name")
        clash = _subclass_clash(scope, module_classes(tree), name)
        if clash:
            raise Rejected(f"helper `{name}` is overridden by the subclass `{clash}`")


def _runs_code(node: ast.AST | None) -> bool:
    return node is not None and any(isinstance(n, _RUNS) for n in ast.walk(node))


def check_import_time(helpers: Iterable[FunctionNode], lazy_annotations: bool) -> None:
    """A new def runs no code when the module (or class) is loaded: no decorator but
    ``staticmethod``/``classmethod``, and no call in a default value or evaluated annotation."""
    for helper in helpers:
        for decorator in helper.decorator_list:
            if not (isinstance(decorator, ast.Name) and decorator.id in HELPER_DECORATORS):
                raise Rejected(f"helper `{helper.name}` has the decorator `@{ast.unparse(decorator)}`, "
                               "code that would run on import")  # fmt: skip
        args = helper.args
        parts: list[ast.AST | None] = [*args.defaults, *args.kw_defaults]
        if not lazy_annotations:
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            parts += [a.annotation for a in every if a is not None]
            parts.append(helper.returns)
        if any(_runs_code(part) for part in parts):
            raise Rejected(f"helper `{helper.name}` has a default value or annotation that calls "
                           "code on import")  # fmt: skip
