"""libcst surgery: find a function by qualname, read its source, swap it, and diff the result."""
from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path

import libcst as cst


class _Scopes:
    """Python's ``__qualname__`` rules, as the metrics walk (structure.py) applies them."""

    def __init__(self) -> None:
        self.prefixes = [""]
        self.seen: dict[str, int] = {}

    def enter_function(self, node: cst.FunctionDef) -> tuple[str, int]:
        """The qualname of ``node`` and how many defs with that qualname came before it."""
        qualname = self.prefixes[-1] + node.name.value
        index = self.seen.get(qualname, 0)
        self.seen[qualname] = index + 1
        self.prefixes.append(f"{qualname}.<locals>.")
        return qualname, index

    def enter_class(self, node: cst.ClassDef) -> None:
        self.prefixes.append(f"{self.prefixes[-1]}{node.name.value}.")

    def leave(self) -> None:
        self.prefixes.pop()


class _Finder(cst.CSTVisitor):
    def __init__(self, qualname: str, index: int) -> None:
        self.scopes = _Scopes()
        self.wanted = (qualname, index)
        self.found: cst.FunctionDef | None = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.scopes.enter_function(node) == self.wanted:
            self.found = node

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.leave()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.enter_class(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.leave()


class _Replacer(cst.CSTTransformer):
    def __init__(self, qualname: str, index: int, nodes: Sequence[cst.FunctionDef]) -> None:
        self.scopes = _Scopes()
        self.wanted = (qualname, index)
        self.nodes = nodes
        self.matches: list[bool] = []
        self.done = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        matched = self.scopes.enter_function(node) == self.wanted
        self.matches.append(matched)
        return not matched  # nothing inside the replaced function needs a visit

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef | cst.FlattenSentinel[cst.BaseStatement]:
        self.scopes.leave()
        if not self.matches.pop():
            return updated_node
        self.done = True
        return cst.FlattenSentinel(self._new_nodes(original_node))

    def _new_nodes(self, original: cst.FunctionDef) -> list[cst.BaseStatement]:
        # Blank lines and comments above the def belong to the file, not to the function.
        first = self.nodes[0].with_changes(leading_lines=original.leading_lines)
        top = "." not in self.wanted[0]
        gap = [cst.EmptyLine(indent=False)] * (2 if top else 1)  # PEP 8 blank lines
        return [first, *(n.with_changes(leading_lines=gap) for n in self.nodes[1:])]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.enter_class(node)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self.scopes.leave()
        return updated_node


def parse_module(source: str) -> cst.Module:
    """Parse with libcst; raises ``cst.ParserSyntaxError`` when the text is not Python."""
    return cst.parse_module(source)


def find_function(module: cst.Module, qualname: str, index: int = 0) -> cst.FunctionDef | None:
    """The ``index``-th def (0-based, in source order) whose qualname is ``qualname``."""
    finder = _Finder(qualname, index)
    module.visit(finder)
    return finder.found


def function_source(module: cst.Module, node: cst.FunctionDef) -> str:
    """The def as written, decorators and comments included; dedented to column 0."""
    comments = [line for line in node.leading_lines if line.comment is not None]
    return module.code_for_node(node.with_changes(leading_lines=comments))


def replace_function(
    module: cst.Module, qualname: str, index: int, nodes: Sequence[cst.FunctionDef]
) -> str:
    """The module's code with that def replaced by ``nodes`` (the new def, then helpers).

    Everything else is libcst's exact round-trip of the original text, byte for byte.
    """
    replacer = _Replacer(qualname, index, nodes)
    code = module.visit(replacer).code
    if not replacer.done:
        raise LookupError(f"no function {qualname!r} (#{index + 1}) in the file")
    return code


def _lines(text: str) -> list[str]:
    """Split on ``\\n`` only, as git does (``str.splitlines`` also splits on form feeds)."""
    parts = [line + "\n" for line in text.split("\n")]
    parts[-1] = parts[-1][:-1]
    return parts if parts[-1] else parts[:-1]


def repository_path(path: str) -> str:
    """``path`` relative to its git work tree's root, as ``git diff`` writes it, else unchanged.

    ``git apply`` reads patch paths from the root of the work tree, whatever folder it runs in
    (and silently skips what is outside that folder), so report paths would miss in a subfolder.
    """
    absolute = Path(os.path.abspath(path))
    for folder in absolute.parents:
        if (folder / ".git").exists():
            return absolute.relative_to(folder).as_posix()
    return path


def unified_diff(path: str, old: str, new: str) -> str:
    """A git-style unified diff of one file that ``git apply`` and ``patch -p1`` accept."""
    body = []
    for line in difflib.unified_diff(_lines(old), _lines(new), f"a/{path}", f"b/{path}"):
        body.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    if not body:
        return ""
    return f"diff --git a/{path} b/{path}\n" + "".join(body)
