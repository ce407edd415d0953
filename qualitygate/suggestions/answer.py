"""Read a model's answer tolerantly: merge its code blocks, dedent, unwrap a class, drop known imports.

Whatever cannot be read fails with a plain reason ("added an import"), never a libcst class name.
"""
from __future__ import annotations

import ast
import re
import textwrap
import warnings

import libcst as cst

from qualitygate.suggestions.evidence import Rejected

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PYTHON = ("python", "py", "python3")

# What a top-level statement that is not a def is called in a rejection.
_KINDS: dict[type[cst.CSTNode], str] = {
    cst.If: "an `if` statement",
    cst.For: "a `for` loop",
    cst.While: "a `while` loop",
    cst.With: "a `with` statement",
    cst.Try: "a `try` statement",
}


def extract_code(answer: str) -> str:
    """The code of the answer: every ``python`` fenced block (else every block, else the whole
    answer), each dedented, joined in order."""
    blocks = _FENCE.findall(answer)
    chosen = [code for language, code in blocks if language.lower() in _PYTHON]
    chosen = chosen or [code for _, code in blocks]
    if not chosen:
        return textwrap.dedent(answer).strip() + "\n" if answer.strip() else ""
    return "\n\n".join(textwrap.dedent(code).strip("\n") + "\n" for code in chosen if code.strip())


def parse_answer(code: str) -> cst.Module:
    """The answer as a libcst module; a plain reason when it is not Python."""
    if not code.strip():
        raise Rejected("the answer holds no code")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(code)  # this interpreter's grammar, which libcst's may not match
        return cst.parse_module(code)
    except SyntaxError as exc:
        raise Rejected(f"does not parse: {exc.msg} (line {exc.lineno})") from None
    except cst.ParserSyntaxError as exc:
        raise Rejected(f"does not parse: {exc.message} (line {exc.raw_line})") from None


def _import_keys(node: ast.Import | ast.ImportFrom) -> list[tuple[object, ...]]:
    """One key per name an import binds, equal for equal imports."""
    if isinstance(node, ast.Import):
        return [("import", a.name, a.asname) for a in node.names]
    return [("from", node.level, node.module, a.name, a.asname) for a in node.names]


def module_imports(tree: ast.Module) -> set[tuple[object, ...]]:
    """Every import of the module outside functions and classes (inside ``if``/``try`` too)."""
    found: set[tuple[object, ...]] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(_import_keys(node))
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                pending.extend(getattr(node, field, None) or [])
    return found


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))  # fmt: skip


def _imports_of(statement: cst.CSTNode) -> list[ast.Import | ast.ImportFrom] | None:
    """The imports of a line made only of imports, else None."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return None
    if not all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body):
        return None
    tree = ast.parse(cst.Module(body=[statement]).code)
    return [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]


def _plain_kind(statement: cst.CSTNode) -> str:
    if isinstance(statement, cst.ClassDef):
        return f"added a class `{statement.name.value}`"
    if isinstance(statement, cst.SimpleStatementLine):
        small = statement.body[0]
        if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            return "added module-level code (an assignment)"
        return "added module-level code (a statement that runs on import)"
    return f"added module-level code ({_KINDS.get(type(statement), 'a compound statement')})"


def _is_filler(statement: cst.CSTNode) -> bool:
    """A docstring or a ``pass`` line: nothing to keep from a class wrapper."""
    is_pass = isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(x, cst.Pass) for x in statement.body)  # fmt: skip
    return is_pass or _is_docstring(statement)


def _wrapper(statements: list[cst.CSTNode], name: str) -> cst.ClassDef | None:
    """The lone class that holds the function when the top level does not: a wrapper the
    model added around a method."""
    classes = [s for s in statements if isinstance(s, cst.ClassDef)]
    if len(classes) != 1:
        return None
    defs = [s.name.value for s in statements if isinstance(s, cst.FunctionDef)]
    inside = [s.name.value for s in classes[0].body.body if isinstance(s, cst.FunctionDef)]
    return classes[0] if name in inside and name not in defs else None


def _unwrapped(statements: list[cst.CSTNode], name: str) -> list[cst.CSTNode]:
    """The statements with a class wrapper replaced by its body."""
    wrapper = _wrapper(statements, name)
    if wrapper is None:
        return statements
    at = statements.index(wrapper)
    inside = [s for s in wrapper.body.body if not _is_filler(s)]
    return [*statements[:at], *inside, *statements[at + 1 :]]


def _check_import(statement: cst.CSTNode, allowed: set[tuple[object, ...]]) -> None:
    """An import line the module already has passes (it is dropped); anything else is refused."""
    imports = _imports_of(statement)
    if imports is None:
        raise Rejected(_plain_kind(statement))
    for node in imports:
        if not set(_import_keys(node)) <= allowed:
            raise Rejected(f"added an import (`{ast.unparse(node)}`)")


def definitions(
    module: cst.Module, name: str, allowed_imports: set[tuple[object, ...]]
) -> tuple[cst.FunctionDef, list[cst.FunctionDef]]:
    """The rewritten function and its helpers.

    Imports the module already has are dropped (they are at the top already); any other
    import, class or statement is refused with a plain reason.
    """
    defs: list[cst.FunctionDef] = []
    for statement in _unwrapped(list(module.body), name):
        if isinstance(statement, cst.FunctionDef):
            defs.append(statement)
            continue
        if not _is_docstring(statement):
            _check_import(statement, allowed_imports)
    main = [d for d in defs if d.name.value == name]
    if len(main) != 1:
        raise Rejected(f"the answer defines `{name}` {len(main)} times, not once")
    return main[0], [d for d in defs if d is not main[0]]
