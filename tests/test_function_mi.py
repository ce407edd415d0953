"""Per-function maintainability index on the complete Halstead count (issue 15, item 1).

Functions are generated from a small grammar of statements; the properties are the issue's:
adding a statement or a branch never raises a function's MI, and comments and docstrings alone
never change the code part (complete volume, CC, logical lines without docstrings).
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualitygate.metrics.analyze import MetricOptions, _raw_counts, measure_source
from qualitygate.metrics.complete_halstead import PEAK_COMMENT_PERCENT, function_maintainability
from qualitygate.metrics.radon_walk import radon_metrics

from .conftest import STDLIB

# --- the grammar ----------------------------------------------------------------------------

SIMPLE = [
    "x = a + b", "return x", "y = f(x, k=1)", "pass", "x += 1", "print(a.b[0])",
    "z = [i for i in a if i]", "assert x, 'no x'", "a, b = b, a", "raise ValueError(x)",
    "w = x if y else -z", "q = not (a and b or c)", "del a[1:2]", "v = {'k': a, **b}",
    "import os.path as p", "u = lambda n: n * 2", "s = f'{a!r} and {b:>3}'",
]  # fmt: skip
ELSE_HEADERS = ["if x > 0:", "for i in range(n):", "while a < b:", "if a is None or b:",
                "async for i in g():"]  # fmt: skip
HEADERS = [*ELSE_HEADERS, "with open(p) as fh:", "try:"]


@dataclass
class Block:
    """A compound statement: header, body, and optionally an ``else`` body."""

    header: str
    body: list[Stmt]
    orelse: list[Stmt] | None = None


Stmt = str | Block


def statements(depth: int = 2) -> st.SearchStrategy[Stmt]:
    simple = st.sampled_from(SIMPLE)
    if depth == 0:
        return simple
    body = st.lists(statements(depth - 1), min_size=1, max_size=3)
    orelse = st.none() | st.lists(statements(depth - 1), min_size=1, max_size=2)
    block = st.sampled_from(HEADERS).flatmap(
        lambda header: st.builds(Block, st.just(header), body, orelse if header in ELSE_HEADERS else st.none())
    )
    return st.one_of(simple, block)


bodies = st.lists(statements(), min_size=1, max_size=5)


def render(body: list[Stmt], docstring: str = "", comments: frozenset[int] = frozenset()) -> str:
    """The function's source; ``comments`` numbers the statements that get a comment line above."""
    lines = ["async def target(a, b, n=3):"]
    if docstring:
        lines.append(f"    {docstring}")
    counter = iter(range(10_000))

    def emit(stmts: list[Stmt], indent: str) -> None:
        for stmt in stmts:
            if next(counter) in comments:
                lines.append(f"{indent}# a comment about the next line")
            if isinstance(stmt, str):
                lines.append(indent + stmt)
                continue
            lines.append(indent + stmt.header)
            emit(stmt.body, indent + "    ")
            if stmt.header == "try:":
                lines.append(indent + "except OSError as error:")
                lines.append(indent + "    log(error)")
            if stmt.orelse is not None:
                lines.append(indent + "else:")
                emit(stmt.orelse, indent + "    ")

    emit(body, "    ")
    return "\n".join(lines) + "\n"


def measured(source: str) -> tuple[float, float, int, int]:
    """(MI, complete volume, CC, logical lines without docstrings) of the one function."""
    (function,) = measure_source(source, "t.py", MetricOptions()).functions
    (docstrings,) = radon_metrics(ast.parse(source)).docstrings.values()
    lloc = _raw_counts(source).span(function.lineno, function.end_lineno).lloc
    return (function.maintainability_index, function.halstead_volume_complete,
            function.cyclomatic_complexity, lloc - docstrings)  # fmt: skip


def blocks_of(body: list[Stmt]) -> list[list[Stmt]]:
    """Every statement list of the body, the body itself first."""
    found = [body]
    for stmt in body:
        if isinstance(stmt, Block):
            found += blocks_of(stmt.body)
            if stmt.orelse is not None:
                found += blocks_of(stmt.orelse)
    return found


def count(body: list[Stmt]) -> int:
    """How many statements ``render`` numbers (for the comments)."""
    return sum(len(block) for block in blocks_of(body))


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
docstrings = st.sampled_from(["", '"""One line."""', '"""Two\n    lines.\n    """'])
comment_sets = st.frozensets(st.integers(0, 12), max_size=6)


# --- properties -----------------------------------------------------------------------------


@PROPERTY
@given(bodies, st.data(), statements(1), docstrings, comment_sets)
def test_adding_a_statement_never_raises_mi(body, data, new, docstring, comments) -> None:
    comments = frozenset(c for c in comments if c < count(body))  # as many comment lines after
    before = measured(render(body, docstring, comments))[0]
    where = data.draw(st.sampled_from(blocks_of(body)))
    where.insert(data.draw(st.integers(0, len(where))), new)
    assert measured(render(body, docstring, comments))[0] <= before


@PROPERTY
@given(bodies, st.data(), docstrings, comment_sets)
def test_adding_a_branch_never_raises_mi(body, data, docstring, comments) -> None:
    """A new ``else`` on a block without one, or a new ``if`` at the end of the body."""
    comments = frozenset(c for c in comments if c < count(body))  # as many comment lines after
    before = measured(render(body, docstring, comments))[0]
    open_blocks = [s for block in blocks_of(body) for s in block
                   if isinstance(s, Block) and s.orelse is None and s.header in ELSE_HEADERS]  # fmt: skip
    if open_blocks and not data.draw(st.booleans()):
        data.draw(st.sampled_from(open_blocks)).orelse = [data.draw(st.sampled_from(SIMPLE))]
    else:
        body.append(Block("if a == b:", [data.draw(st.sampled_from(SIMPLE))]))
    assert measured(render(body, docstring, comments))[0] <= before


@PROPERTY
@given(bodies, docstrings, comment_sets)
def test_comments_and_docstrings_never_change_the_code_part(body, docstring, comments) -> None:
    plain = measured(render(body))
    documented = measured(render(body, docstring, comments))
    assert documented[1:] == plain[1:]
    assert documented[0] >= plain[0]  # the comment term only ever adds


# --- fixed cases ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["pass", "...", '"""Only a docstring."""', "return", "x; x; x"])
def test_trivial_bodies_score_100(body: str) -> None:
    (function,) = measure_source(f"def f(x):\n    {body}\n", "t.py", MetricOptions()).functions
    assert function.maintainability_index == 100.0


def test_complete_count_by_hand() -> None:
    # return, + (2 operators, 2 distinct); a, b (2 operands, 2 distinct): V = 4 log2 4 = 8.
    (add,) = measure_source("def add(a, b):\n    return a + b\n", "t.py", MetricOptions()).functions
    assert add.halstead_volume_complete == 8.0
    assert add.halstead_volume == pytest.approx(4.754887502163469)  # radon's, unchanged
    # =, (), keyword = (3 operators, 2 distinct); x, f, a, b, 1 (5 operands, 5 distinct).
    (call,) = measure_source("def g(a):\n    x = f(a, b=1)\n", "t.py", MetricOptions()).functions
    assert call.halstead_volume_complete == pytest.approx(8 * math.log2(7))


def test_radon_volume_zero_no_longer_means_100() -> None:
    """A 40-line body of calls and assignments: radon's volume 0, ours far from it (issue 15)."""
    body = "".join(f"    v{i} = setup(v{i - 1}, name='n{i}')\n" for i in range(1, 41))
    (function,) = measure_source(f"def build(v0):\n{body}", "t.py", MetricOptions()).functions
    assert function.halstead_volume == 0.0
    assert function.maintainability_index < 60


def test_comment_term_capped_at_its_peak() -> None:
    raw = _raw_counts("def f(a):\n    # c\n    # c\n    # c\n    return a\n").totals
    assert raw.comments / raw.sloc * 100 > PEAK_COMMENT_PERCENT
    capped = function_maintainability(10.0, 1, raw, 0)
    peak = function_maintainability(10.0, 1, raw._replace(comments=0, multi=0), 0)
    assert capped > peak  # comments above the peak still count as the peak, never less


def test_cli_reports_the_new_index_on_a_stdlib_module(project, cli) -> None:
    """Through the CLI on a real file: radon's file MI and per-function volume stay, ours is new."""
    root = project({"tokenize_copy.py": (STDLIB / "tokenize.py").read_text("utf-8")})
    report = cli("check", "tokenize_copy.py", "-f", "json", "--exit-zero", cwd=root).json()
    (file,) = report["files"]
    functions = {f["qualname"]: f for f in file["functions"]}
    generate = functions["_tokenize"]
    assert generate["halstead_volume_complete"] > generate["halstead_volume"] > 0
    assert generate["maintainability_index"] < 50
    # Long bodies that radon's count gives volume 0 (so radon's formula 100) score below 100.
    long_zero = [f for f in functions.values() if f["halstead_volume"] == 0 and f["length"] >= 20]
    assert long_zero and all(f["maintainability_index"] < 100 for f in long_zero)
