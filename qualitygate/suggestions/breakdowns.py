"""The statement breakdowns of the worst offenders, many at once: each function parsed again from
its file's lines and costed (breakdown.py), in this process or on the measuring pool's workers."""
from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterable, Sequence

from qualitygate.models import FileMetrics, FunctionMetrics
from qualitygate.suggestions.breakdown import CostSummary, FunctionNode, statement_costs

# Where a function is: (path, qualname, first line); what ``Breakdowns.of`` keys its answer by.
Key = tuple[str, str, int]
# A breakdown; None when the function is not at its lines any more (the file changed).
Found = list[CostSummary] | None
# The lines of a file, by path (read once per file by the caller).
LinesOf = Callable[[str], list[str]]
# One breakdown to compute: the file's lines, the function, the project's ``count_asserts``.
Job = tuple[list[str], FunctionMetrics, bool]
# A map over jobs: the builtin ``map`` in this process, or the measuring pool's (``Pool.map``).
Mapper = Callable[[Callable[[Job], Found], Sequence[Job]], Iterable[Found]]


def key(file: FileMetrics, func: FunctionMetrics) -> Key:
    return (file.path, func.qualname, func.lineno)


def parse_function(lines: list[str], func: FunctionMetrics) -> FunctionNode | None:
    """Re-parse only the function's own lines, at their real line numbers and columns.

    Its source is indented inside a class or function; under ``if 1:`` it parses as it stands.
    None when the file changed since it was measured: no advice beats wrong advice.
    """
    text = "".join(lines[func.lineno - 1 : func.end_lineno])
    indented = text[:1] in (" ", "\t")
    # Blank lines in front keep the real line numbers (cheaper than ast.increment_lineno).
    padding = "\n" * (func.lineno - 1 - indented) + ("if 1:\n" if indented else "")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(padding + text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not tree.body:  # nothing at those lines any more: the file is shorter, or unreadable
        return None
    node = tree.body[0].body[0] if indented else tree.body[0]  # type: ignore[attr-defined]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != func.name:
        return None
    return node


def function_breakdown(lines: list[str], func: FunctionMetrics, count_asserts: bool = True) -> list[CostSummary] | None:
    """Every statement's cost, freshly measured; None when the file changed since measuring.
    ``count_asserts``: the project's setting, so a block's decisions add up to the gate's CC."""
    node = parse_function(lines, func)
    return [c.summary() for c in statement_costs(node, lines, count_asserts)] if node else None


def breakdown_job(job: Job) -> Found:
    """``function_breakdown`` of one job: what a pool worker runs (a module-level function)."""
    return function_breakdown(*job)


class Breakdowns:
    """Computes the breakdowns the advisor asks for, all at once, through ``mapper``.

    In a run that measured with a pool, ``mapper`` is the pool's: the worst offenders of a cold
    stdlib run (40 functions, 0.09 s in one process) are parsed and costed on both workers
    while this process waits, instead of after the pool (2026-12-04). ``breakdown_cache``
    answers what it can from the metrics cache first.
    """

    def __init__(self, count_asserts: bool = True, mapper: Mapper = map) -> None:
        self.count_asserts = count_asserts
        self.mapper = mapper

    def of(self, wanted: Sequence[tuple[FileMetrics, FunctionMetrics]], lines: LinesOf) -> dict[Key, Found]:
        """The breakdown of each (file, function) of ``wanted``."""
        found = self.compute([lines(file.path) for file, _ in wanted], [func for _, func in wanted])
        return dict(zip([key(file, func) for file, func in wanted], found, strict=True))

    def save(self) -> None:
        """Keep what was computed (``BreakdownCache`` writes the cache; here nothing is kept)."""

    def compute(self, files: Sequence[list[str]], functions: Sequence[FunctionMetrics]) -> list[Found]:
        """Each function's breakdown from the lines of its file (``files``, in the same order)."""
        # A job needs the lines up to the function's end only (they travel to a worker).
        jobs = [(lines[: func.end_lineno], func, self.count_asserts) for lines, func in zip(files, functions, strict=True)]
        return list(self.mapper(breakdown_job, jobs))
