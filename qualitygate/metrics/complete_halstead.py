"""Our per-function maintainability index, on a complete Halstead count (issue 15, item 1).

radon's Halstead visitor counts only the operators of ``BinOp``, ``BoolOp``, ``Compare``,
``UnaryOp`` and ``AugAssign`` and their direct operands, so 57% of real functions have volume 0
and radon's MI formula gives them exactly 100. Halstead (Elements of Software Science, 1977)
counts every token: each operator and keyword is an operator, each name and literal an operand.
The radon walk collects that count for every function body as it goes (names, constants and node
kinds); the tables here turn node kinds into the tokens they were written with.

File-level Halstead and MI stay radon's; docs/metrics.md defines both and says which is which.
"""
from __future__ import annotations

import ast
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from radon.metrics import mi_compute

from qualitygate.models import RawMetrics

# The operator and keyword tokens each node kind is written with. The tree drops separators
# (``,``, ``;`` and the ``:`` of blocks, dicts and lambdas) and grouping parentheses: they are
# not counted. A bracket pair that does something (a call, a subscript, a display) is one
# operator. BinOp, BoolOp, Compare, UnaryOp and AugAssign are absent: radon's own count of
# their operators is reused (the walk keeps it per function anyway).
TOKENS: dict[type, tuple[str, ...]] = {
    ast.Return: ("return",), ast.Delete: ("del",), ast.Assign: ("=",), ast.AnnAssign: (":",),
    ast.For: ("for", "in"), ast.AsyncFor: ("async", "for", "in"), ast.While: ("while",),
    ast.If: ("if",), ast.With: ("with",), ast.AsyncWith: ("async", "with"),
    ast.Raise: ("raise",), ast.Try: ("try",), ast.ExceptHandler: ("except",),
    ast.Assert: ("assert",), ast.Import: ("import",), ast.ImportFrom: ("from", "import"),
    ast.Global: ("global",), ast.Nonlocal: ("nonlocal",), ast.Pass: ("pass",),
    ast.Break: ("break",), ast.Continue: ("continue",),
    ast.NamedExpr: (":=",), ast.Lambda: ("lambda",), ast.IfExp: ("if", "else"),
    ast.Dict: ("{}",), ast.Set: ("{}",), ast.ListComp: ("[]",), ast.SetComp: ("{}",),
    ast.DictComp: ("{}",), ast.GeneratorExp: ("()",), ast.Await: ("await",),
    ast.Yield: ("yield",), ast.YieldFrom: ("yield", "from"), ast.Call: ("()",),
    ast.FormattedValue: ("{}",), ast.Attribute: (".",), ast.Subscript: ("[]",),
    ast.Starred: ("*",), ast.List: ("[]",), ast.Slice: (":",), ast.comprehension: ("for", "in"),
    ast.Match: ("match",), ast.match_case: ("case",),
    ast.MatchOr: ("|",), ast.MatchSequence: ("[]",), ast.MatchMapping: ("{}",),
    ast.MatchClass: ("()",), ast.FunctionDef: ("def",), ast.AsyncFunctionDef: ("async", "def"),
    ast.ClassDef: ("class",),
}  # fmt: skip
if hasattr(ast, "TryStar"):  # Python 3.11+
    TOKENS[ast.TryStar] = ("try",)

# radon names the operators it counts by their node class; spelled as written, so that
# ``not`` or ``in`` is one operator whether radon or the table above saw it.
_SPELLING = {
    "Add": "+", "Sub": "-", "Mult": "*", "MatMult": "@", "Div": "/", "Mod": "%", "Pow": "**",
    "LShift": "<<", "RShift": ">>", "BitOr": "|", "BitXor": "^", "BitAnd": "&", "FloorDiv": "//",
    "And": "and", "Or": "or", "Invert": "~", "Not": "not", "UAdd": "+", "USub": "-",
    "Eq": "==", "NotEq": "!=", "Lt": "<", "LtE": "<=", "Gt": ">", "GtE": ">=", "Is": "is",
    "IsNot": "is not", "In": "in", "NotIn": "not in",
}  # fmt: skip


def _else(node: Any, ops: list[str], names: list[str]) -> None:
    if node.orelse:
        ops.append("else")  # an ``elif`` counts as ``else`` plus the nested ``if``


def _try(node: Any, ops: list[str], names: list[str]) -> None:
    ops.extend(("else",) * bool(node.orelse) + ("finally",) * bool(node.finalbody))


def _named(field: str) -> Callable[[Any, list[str], list[str]], None]:
    """A node that names something (``except E as name``, a lambda's parameter...)."""

    def add(node: Any, ops: list[str], names: list[str]) -> None:
        name = getattr(node, field)
        if name is not None:
            names.append(name)

    return add


def _alias(node: Any, ops: list[str], names: list[str]) -> None:
    names.append(node.name)
    if node.asname:
        ops.append("as")
        names.append(node.asname)


def _keyword(node: Any, ops: list[str], names: list[str]) -> None:
    if node.arg is None:
        ops.append("**")  # f(**kwargs)
    else:
        ops.append("=")
        names.append(node.arg)


# Node kinds whose tokens depend on the node: ``else``, ``finally``, ``as``, repeated operators
# and the names that are fields rather than ``Name`` nodes. The walk calls these as it goes.
EXTRAS: dict[type, Callable[[Any, list[str], list[str]], None]] = {
    ast.If: _else, ast.For: _else, ast.AsyncFor: _else, ast.While: _else, ast.Try: _try,
    ast.ExceptHandler: _named("name"), ast.arg: _named("arg"), ast.alias: _alias,
    ast.keyword: _keyword, ast.ImportFrom: _named("module"),
    ast.Global: lambda node, ops, names: names.extend(node.names),
    ast.Nonlocal: lambda node, ops, names: names.extend(node.names),
    ast.Assign: lambda node, ops, names: ops.extend(["="] * (len(node.targets) - 1)),
    ast.BoolOp: lambda node, ops, names: ops.extend(  # radon counts one per BoolOp
        [_SPELLING[type(node.op).__name__]] * (len(node.values) - 2)),
    ast.comprehension: lambda node, ops, names: ops.extend(
        ["if"] * len(node.ifs) + ["async"] * node.is_async),
    ast.withitem: lambda node, ops, names: ops.extend(["as"] * (node.optional_vars is not None)),
    ast.Raise: lambda node, ops, names: ops.extend(["from"] * (node.cause is not None)),
    ast.AnnAssign: lambda node, ops, names: ops.extend(["="] * (node.value is not None)),
    ast.MatchAs: _named("name"), ast.MatchStar: _named("name"), ast.MatchMapping: _named("rest"),
}  # fmt: skip
if hasattr(ast, "TryStar"):
    EXTRAS[ast.TryStar] = _try


# Every kind's tokens and their number (none for a kind that is not written with any), read with
# C-level map() over a function's kinds.
_TOKENS_OF: defaultdict[type, tuple[str, ...]] = defaultdict(tuple, TOKENS)
_COUNT_OF: defaultdict[type, int] = defaultdict(int, {kind: len(t) for kind, t in TOKENS.items()})


def complete_volume(kinds: list[type], extra_operators: list[str], radon_operators: int,
                    radon_seen: set[str], names: list[str], constants: list[Any]) -> float:  # fmt: skip
    """Halstead's volume N log2 n over every token of a function body (radon's formula for V)."""
    operators = radon_operators + len(extra_operators) + sum(map(_COUNT_OF.__getitem__, kinds))
    distinct = set(extra_operators).union(*map(_TOKENS_OF.__getitem__, set(kinds)))
    distinct.update(map(_SPELLING.get, radon_seen, radon_seen))
    operands = len(names) + len(constants)
    # A literal is keyed by type and value, so 1, 1.0 and True are three operands.
    vocabulary = len(distinct) + len(set(names)) + len(set(zip(map(type, constants), constants, strict=True)))
    length = operators + operands
    return length * math.log2(vocabulary) if vocabulary else 0.0


# radon's comment term 50 sin(sqrt(2.46 rad(C))) peaks at C = 57.47% and falls beyond it (to -50
# at 230%): capped there, a comment never lowers the index and a statement never raises it.
PEAK_COMMENT_PERCENT = math.degrees((math.pi / 2) ** 2 / 2.46)


def function_maintainability(
    volume: float, complexity: int, raw: RawMetrics, docstrings: int
) -> float:
    """Our per-function MI: radon's ``mi_compute`` with the complete volume, the function's
    logical lines without its docstrings, and radon's comment share (``multi=True``) capped at
    the peak of its term. 100 when the volume or the line count is 0, as in radon."""
    comment_lines = raw.comments + raw.multi
    percent = comment_lines / float(raw.sloc) * 100 if raw.sloc else 0
    code_lines = raw.lloc - docstrings
    return float(mi_compute(volume, complexity, code_lines, min(percent, PEAK_COMMENT_PERCENT)))
