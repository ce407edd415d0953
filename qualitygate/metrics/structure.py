"""One statement-level walk: every function with its qualname, nesting and parameters; imports."""
from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

from qualitygate.metrics.classes import ClassInfo
from qualitygate.models import ImportRecord

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_BLOCKS: tuple[type[ast.stmt], ...] = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match)
_TRY_STAR = getattr(ast, "TryStar", None)
if _TRY_STAR is not None:
    _BLOCKS = (*_BLOCKS, _TRY_STAR)
_ASSIGNS = (ast.Assign, ast.AugAssign, ast.AnnAssign)  # what makes an instance attribute (issue 15)
# The walk dispatches on exact types (ast.parse makes no subclasses): one set lookup per statement.
_BLOCK_KINDS = frozenset(_BLOCKS)
_ASSIGN_KINDS = frozenset(_ASSIGNS)
_DEFINITION_KINDS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom})


@dataclass(frozen=True)
class FunctionInfo:
    """A function node with what the statement walk learns about it."""

    node: FunctionNode
    qualname: str
    parameters: int
    max_nesting: int


@dataclass
class Structure:
    """What one walk over the statements of a module finds."""

    functions: list[FunctionInfo] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    import_records: list[ImportRecord] = field(default_factory=list)  # the import graph's (issue 15)
    classes: list[ClassInfo] = field(default_factory=list)  # in source order (issue 15, classes.py)


def _parameters(node: FunctionNode, is_method: bool) -> int:
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    count = len(names) + len(args.kwonlyargs) + bool(args.vararg) + bool(args.kwarg)
    # The receiver of a method is not a parameter a caller passes (as Sonar's S107 counts).
    if is_method and names and names[0] in ("self", "cls"):
        count -= 1
    return count


def _import_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[0] for alias in node.names]
    if node.level:
        dots = "." * node.level
        if node.module:
            return [dots + node.module.split(".")[0]]
        return [dots + alias.name for alias in node.names]
    return [node.module.split(".")[0]] if node.module else []


def _import_record(node: ast.Import | ast.ImportFrom, type_checking: bool) -> ImportRecord:
    names = tuple(alias.name for alias in node.names)
    if isinstance(node, ast.Import):
        return ImportRecord(node.lineno, 0, "", names, type_checking)
    return ImportRecord(node.lineno, node.level, node.module or "", names, type_checking)


def _type_checking_end(stmt: ast.stmt) -> int:
    """The last line of an ``if TYPE_CHECKING:`` body (``typing.TYPE_CHECKING`` too), else 0."""
    if not isinstance(stmt, ast.If):
        return 0
    name = stmt.test.attr if isinstance(stmt.test, ast.Attribute) else getattr(stmt.test, "id", "")
    return (stmt.body[-1].end_lineno or 0) if name == "TYPE_CHECKING" else 0


def _is_overload_stub(node: FunctionNode) -> bool:
    """``@overload`` (``@typing.overload``, ``@typing_extensions.overload``): a signature for
    type checkers, not code. Counting stubs made a function with three signatures four
    functions of CC 1 in ``summary.functions`` and the averages (issue 15); the one
    implementation below them is the function measured."""
    for decorator in node.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
        if name == "overload":
            return True
    return False


def _class_var(annotation: ast.expr) -> bool:
    """``ClassVar[...]`` (or ``typing.ClassVar``, or in quotes): a class attribute, not an instance one."""
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(target, ast.Constant):
        return "ClassVar" in str(target.value)
    return getattr(target, "attr", getattr(target, "id", "")) == "ClassVar"


class _Walker:
    def __init__(self) -> None:
        self.result = Structure()
        # Imports up to this line sit under ``if TYPE_CHECKING:``; the walk meets them in source
        # order and an ``else:`` starts after the body, so one line number marks them (issue 15).
        self.typing_end = 0
        # Issue 15's class metrics: the class whose body is walked, and the method (with its
        # class) whose body is, so an assignment in a nested function counts for its method.
        self.klass: ClassInfo | None = None
        self.method: tuple[ClassInfo, FunctionNode] | None = None

    def body(self, stmts: Sequence[ast.stmt], scope: str, in_class: bool, depth: int) -> int:
        """Walk statements; return the deepest block nesting reached below ``depth``."""
        deepest = depth
        for stmt in stmts:
            kind = type(stmt)  # most statements (calls, returns...) are none of the kinds below
            if kind in _BLOCK_KINDS:
                # A def under a block (`if`, `try`, `with`...) of a class body is a method (issue 15).
                deepest = max(deepest, self.block(stmt, scope, in_class, depth))
            elif kind in _ASSIGN_KINDS:
                self.assignment(stmt, in_class)  # type: ignore[arg-type]
            elif kind in _DEFINITION_KINDS:
                self.definition(stmt, scope, in_class)
        return deepest

    def definition(self, stmt: ast.stmt, scope: str, in_class: bool) -> None:
        """A def, a class or an import."""
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not _is_overload_stub(stmt):
                self.function(stmt, scope, in_class)
        elif isinstance(stmt, ast.ClassDef):
            self.class_body(stmt, scope)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            self.result.imports.extend(_import_names(stmt))
            self.result.import_records.append(_import_record(stmt, stmt.lineno <= self.typing_end))

    def class_body(self, node: ast.ClassDef, scope: str) -> None:
        outer, outer_method = self.klass, self.method
        self.klass, self.method = ClassInfo(node, f"{scope}{node.name}"), None
        self.result.classes.append(self.klass)
        self.body(node.body, f"{scope}{node.name}.", True, 0)
        self.klass, self.method = outer, outer_method

    def assignment(self, stmt: ast.Assign | ast.AugAssign | ast.AnnAssign, in_class: bool) -> None:
        """Targets in a method (for ``self.x = ...``); ``x: T`` in a class body (issue 15)."""
        if self.method is not None:
            klass, method = self.method
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            klass.stores.setdefault(method, []).extend(targets)
        elif in_class and self.klass is not None and isinstance(stmt, ast.AnnAssign):
            if isinstance(stmt.target, ast.Name) and not _class_var(stmt.annotation):
                self.klass.annotated.append(stmt.target.id)

    def block(self, stmt: ast.stmt, scope: str, in_class: bool, depth: int) -> int:
        self.typing_end = max(self.typing_end, _type_checking_end(stmt))
        inner = depth + 1
        deepest = inner
        for name in ("body", "handlers", "finalbody"):
            deepest = max(deepest, self.body(getattr(stmt, name, ()), scope, in_class, inner))
        for handler in getattr(stmt, "handlers", ()):
            deepest = max(deepest, self.body(handler.body, scope, in_class, inner))
        for case in getattr(stmt, "cases", ()):
            deepest = max(deepest, self.body(case.body, scope, in_class, inner))
        orelse = getattr(stmt, "orelse", [])
        if isinstance(stmt, ast.If) and len(orelse) == 1 and isinstance(orelse[0], ast.If):
            # An elif chain stays at the level of its first `if`.
            deepest = max(deepest, self.block(orelse[0], scope, in_class, depth))
        else:
            deepest = max(deepest, self.body(orelse, scope, in_class, inner))
        return deepest

    def function(self, node: FunctionNode, scope: str, in_class: bool) -> None:
        qualname = f"{scope}{node.name}"
        index = len(self.result.functions)
        self.result.functions.append(FunctionInfo(node, qualname, 0, 0))
        outer_method = self.method
        if in_class and self.klass is not None:  # a method: issue 15's class metrics
            self.klass.methods.append(node)
            self.method = (self.klass, node)
        nesting = self.body(node.body, f"{qualname}.<locals>.", False, 0)
        self.method = outer_method
        params = _parameters(node, in_class)
        self.result.functions[index] = FunctionInfo(node, qualname, params, nesting)


def walk_structure(tree: ast.Module) -> Structure:
    """Functions in source order (outer before inner) and the top-level names of all imports."""
    walker = _Walker()
    walker.body(tree.body, "", False, 0)
    return walker.result
