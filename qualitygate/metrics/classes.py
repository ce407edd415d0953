"""Class metrics (issue 15): methods, WMC, lines, instance attributes and LCOM4 cohesion.

Definitions and their sources are in docs/metrics.md ("Classes"). The structure walk collects each
class, its methods and the assignments in them (structure.py); this module turns that into one
``ClassMetrics`` per class. It imports nothing of ours, so models.py can re-export the record.

The ``self.x`` uses behind LCOM4 come from the source text, not from another walk of the tree:
a walk over every expression of every method cost a third of the radon walk on the stdlib, while
all of this module, two literal regex scans included, takes 4.3% of the time measuring a file
takes (measured on the stdlib). A use inside a comment or a method's docstring is left out; one
inside another string literal counts: the scan equals an exact tree walk on 12,654 of the
stdlib's 12,655 methods (tests/test_classes.py compares five modules). A method whose receiver is
not named ``self`` or ``cls`` is walked exactly.
"""
from __future__ import annotations

import ast
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
Hit = tuple[int, str, str, int]  # a ``self.x`` in the text: line, receiver, name, offset


def _in_comment(source: str, line_start: int, at: int) -> bool:
    """Whether a ``#`` before ``at`` on its line starts a comment: one with an even number of
    each quote before it (``"%#x" % self.x`` is code)."""
    hash_at = source.find("#", line_start, at)
    while hash_at != -1:
        if source.count("'", line_start, hash_at) % 2 == 0 and source.count('"', line_start, hash_at) % 2 == 0:
            return True
        hash_at = source.find("#", hash_at + 1, at)
    return False

# Constructors and destructors are not nodes of the LCOM4 graph: they touch every attribute and
# would join every method into one component (Axivion's OO.LCOM4, after Hitz and Montazeri, "does
# not include constructors and destructors"). ``__post_init__`` is a dataclass's constructor.
CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__", "__del__", "__init_subclass__"})
_SCANNED = ("self", "cls")  # the receivers the text scan finds; others are walked exactly
_USES = {name: re.compile(name + r"\.([A-Za-z_]\w*)") for name in _SCANNED}


class ClassMetrics(NamedTuple):
    """One class: methods, WMC (its methods' CC summed), lines, instance attributes, LCOM4."""

    name: str
    qualname: str
    line: int  # the ``class`` line (a class violation's line)
    end_line: int
    methods: int  # defs in its body (under if/try/with there too); ``@overload`` stubs not
    wmc: int  # weighted methods per class: the sum of those methods' cyclomatic complexity
    lines: int  # end_line - line + 1
    attributes: int  # distinct ``self.x = ...`` targets in its methods, plus class-level ``x: T``
    lcom4: int  # connected components of its methods (0 when no method counts)


@dataclass
class ClassInfo:
    """A class as the structure walk meets it: its methods and what they assign."""

    node: ast.ClassDef
    qualname: str
    methods: list[FunctionNode] = field(default_factory=list)
    annotated: list[str] = field(default_factory=list)  # class-level ``x: T``, ClassVar left out
    stores: dict[FunctionNode, list[ast.expr]] = field(default_factory=dict)  # assignment targets


class Component(NamedTuple):
    """One connected component of a class's LCOM4 graph: its methods and the names they share."""

    methods: tuple[str, ...]
    shared: tuple[str, ...]  # attributes two or more of its methods use (a lone method: all it uses)


def _decorator_names(node: FunctionNode) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


def receiver(node: FunctionNode) -> str:
    """The name a method reaches its instance (or class) through; "" for a static method."""
    args = node.args.posonlyargs or node.args.args
    if not args or (node.decorator_list and "staticmethod" in _decorator_names(node)):
        return ""
    return args[0].arg


def is_empty(node: FunctionNode) -> bool:
    """A stub: only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``."""
    if len(node.body) > 2:
        return False
    body = node.body[1:] if _docstring_lines(node) else node.body
    if not body:
        return True
    if len(body) > 1:
        return False
    return _is_stub_statement(body[0])


def _is_stub_statement(stmt: ast.stmt) -> bool:
    """``pass``, ``...`` or ``raise NotImplementedError`` (called or not)."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr):
        return isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return getattr(exc, "id", "") == "NotImplementedError"
    return False


def _docstring_lines(node: FunctionNode) -> tuple[int, int] | None:
    first = node.body[0] if node.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.lineno, first.end_lineno or first.lineno
    return None


def _walked_uses(node: FunctionNode, name: str) -> set[str]:
    """The exact ``name.x`` uses below ``node``: for receivers the text scan does not look for."""
    return {
        n.attr for n in ast.walk(node)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name
    }  # fmt: skip


def scan_uses(source: str) -> list[Hit]:
    """Every ``self.x`` and ``cls.x`` outside comments: (line, receiver, name, offset), by line."""
    found: list[tuple[int, str, str]] = []
    for name, pattern in _USES.items():
        found.extend([(m.start(), name, m.group(1)) for m in pattern.finditer(source)])
    found.sort()
    lines: list[Hit] = []
    line, last = 1, 0
    count, rfind, find = source.count, source.rfind, source.find  # 40,000 hits on the stdlib
    for start, name, attr in found:
        before = source[start - 1 : start]
        line += count("\n", last, start)
        last = start
        if before.isalnum() or before in ("_", "."):  # part of another name (``myself.x``)
            continue
        line_start = rfind("\n", 0, start) + 1
        if find("#", line_start, start) != -1 and _in_comment(source, line_start, start):
            continue
        lines.append((line, name, attr, start))
    return lines


def method_uses(methods: Sequence[FunctionNode], hits: Sequence[Hit]) -> dict[FunctionNode, set[str]]:
    """Per method, the names it reaches through its receiver (``self.x``, ``self.m()``), with
    those of the functions nested in it, from the ``hits`` of its class's lines."""
    # A class's methods never nest in each other, so each reads the hits of its own lines.
    found: dict[FunctionNode, set[str]] = {}
    for method in methods:
        name = receiver(method)
        if name and name not in _SCANNED:
            found[method] = _walked_uses(method, name)
            continue
        first, last = _docstring_lines(method) or (0, -1)
        mine = hits[bisect_left(hits, (method.lineno,)) : bisect_left(hits, ((method.end_lineno or method.lineno) + 1,))]
        found[method] = {attr for line, by, attr, _ in mine if by == name and not first <= line <= last}
    return found


def components(uses: dict[str, set[str]]) -> list[Component]:
    """LCOM4's graph (Hitz and Montazeri 1995): methods linked when both use one attribute or
    one reaches the other through ``self``. ``uses`` maps each counted method to its names."""
    return [_component(members, uses) for members in _groups(uses)]


def _groups(uses: dict[str, set[str]]) -> list[list[str]]:
    """The connected components' method names, each sorted, in order (union-find)."""
    names = sorted(uses)
    parent = {name: name for name in names}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    first_user: dict[str, str] = {}
    for name in names:
        for used in uses[name]:
            other = used if used in parent else first_user.setdefault(used, name)
            parent[root(other)] = root(name)
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(root(name), []).append(name)
    return sorted(groups.values())


def _component(members: list[str], uses: dict[str, set[str]]) -> Component:
    counts: dict[str, int] = {}
    for member in members:
        for used in uses[member] - set(uses):
            counts[used] = counts.get(used, 0) + 1
    least = 2 if len(members) > 1 else 1
    return Component(tuple(members), tuple(sorted(n for n, c in counts.items() if c >= least)))


def class_components(info: ClassInfo, hits: Sequence[Hit]) -> list[Component]:
    """The components of one class (for advice): its groups of methods and what they share."""
    return components(_uses(info, hits, _counted(info)))


def _uses(info: ClassInfo, hits: Sequence[Hit], counted: list[FunctionNode]) -> dict[str, set[str]]:
    """The LCOM4 graph's nodes (constructors, destructors and stubs left out) and their names;
    ``hits`` are ``scan_uses`` of the file (sorted by line)."""
    if not counted:
        return {}
    method_names = {m.name for m in info.methods}
    uses: dict[str, set[str]] = {}
    for method, used in method_uses(counted, hits).items():
        # A property's getter and setter share a name: one node, as ``self.prop`` reaches both.
        uses.setdefault(method.name, set()).update(used)
    counted_names = set(uses)
    for name, used in uses.items():
        used -= method_names - counted_names  # a constructor named through self links nothing
        used.discard(name)
    return uses


def _counted(info: ClassInfo) -> list[FunctionNode]:
    """The nodes of the LCOM4 graph: methods other than constructors, destructors and stubs."""
    return [m for m in info.methods if m.name not in CONSTRUCTORS and not is_empty(m)]


def _lcom4(info: ClassInfo, hits: list[Hit] | None, source: str) -> tuple[int, list[Hit] | None]:
    """LCOM4, and the file's hits (scanned on the first class that needs them)."""
    counted = _counted(info)
    names = {m.name for m in counted}
    if len(names) <= 1:  # nothing to link: no scan needed
        return len(names), hits
    hits = scan_uses(source) if hits is None else hits
    return len(_groups(_uses(info, hits, counted))), hits


def _attributes(info: ClassInfo) -> int:
    names = set(info.annotated)
    for method, targets in info.stores.items():
        name = receiver(method)
        if name:
            names.update(_stored(targets, name))
    return len(names)


def _stored(targets: Iterable[ast.expr], name: str) -> list[str]:
    found = []
    for target in targets:
        kind = type(target)
        if kind is ast.Attribute:
            value = target.value  # type: ignore[attr-defined]
            if type(value) is ast.Name and value.id == name:  # type: ignore[attr-defined]
                found.append(target.attr)  # type: ignore[attr-defined]
        elif kind is ast.Tuple or kind is ast.List:
            found += _stored(target.elts, name)  # type: ignore[attr-defined]
        elif kind is ast.Starred:
            found += _stored([target.value], name)  # type: ignore[attr-defined]
    return found


def class_metrics(classes: Sequence[ClassInfo], complexity: dict[ast.AST, int], source: str) -> tuple[ClassMetrics, ...]:
    """One record per class, in source order."""
    hits: list[Hit] | None = None
    found = []
    for info in classes:
        node = info.node
        end = node.end_lineno or node.lineno
        lcom4, hits = _lcom4(info, hits, source)
        found.append(ClassMetrics(
            node.name, info.qualname, node.lineno, end, len(info.methods),
            sum(complexity.get(m, 1) for m in info.methods), end - node.lineno + 1, _attributes(info), lcom4,
        ))  # fmt: skip
    return tuple(found)


def find_class(classes: Sequence[ClassInfo], line: int) -> ClassInfo | None:
    """The class whose ``class`` line is ``line`` (for advice on a class violation)."""
    lines = [info.node.lineno for info in classes]
    index = bisect_right(lines, line) - 1
    return classes[index] if index >= 0 and lines[index] == line else None
