"""The offline advisor: concrete, deterministic advice for each violation from what was measured."""
from __future__ import annotations

import ast
import functools
import operator
import warnings
from collections.abc import Callable, Iterator, Mapping
from itertools import groupby
from typing import NamedTuple

from qualitygate.gate.result import worst_first
from qualitygate.gate.rules import RULES
from qualitygate.models import (
    FileMetrics,
    FunctionMetrics,
    GateResult,
    Metric,
    Suggestion,
    SuggestionKind,
    Violation,
    format_number,
)
from qualitygate.suggestions.breakdown import CostSummary
from qualitygate.suggestions.breakdowns import Breakdowns, Found, Key, key

# pylint's too-many-arguments default (max-args = 5); Sonar's S107 allows 7.
MAX_PARAMETERS = 5
# Nesting from which guard clauses pay off; Sonar's S134 flags control flow nested deeper than 3.
DEEP_NESTING = 3
# A statement "dominates" when it holds at least a third of the function's score.
DOMINANT_SHARE = 3

SourceReader = Callable[[str], "str | None"]
# A file's lines, read only when advice needs them, and then once.
Lines = Callable[[], list[str]]


def _where(cost: CostSummary) -> str:
    if cost.name:
        return f"the nested {cost.kind} `{cost.name}` at line {cost.line}"
    if cost.compound:
        return f"the `{cost.kind}` at line {cost.line}"
    return f"the statement at line {cost.line}"


def _spread(costs: list[CostSummary], value: float, biggest: int) -> bool:
    """No single block dominates: the advice is to split the function, not to extract one block."""
    scoring = [c for c in costs if c.top and (c.here or c.decisions)]
    return len(scoring) >= 4 and biggest * DOMINANT_SHARE < value


def _top(costs: list[CostSummary], key: Callable[[CostSummary], int]) -> CostSummary:
    return max(costs, key=lambda c: (key(c), -c.line))  # the earliest of equals, for stable text


class Split(NamedTuple):
    """Moving one block into a new function: what it takes out, what stays, what the new one gets."""

    cost: CostSummary
    taken: int
    left: float
    moved: int


def best_split(costs: list[CostSummary], v: Violation,
               taken: Callable[[CostSummary], int],
               moved: Callable[[CostSummary], int]) -> Split | None:  # fmt: skip
    """The block whose extraction leaves both functions under the threshold, or closest to it."""
    splits = [Split(c, taken(c), v.value - taken(c), moved(c))
              for c in costs if c.compound and taken(c) > 0]  # fmt: skip
    if not splits:
        return None
    return min(splits, key=lambda s: (max(s.left, s.moved) > v.threshold, max(s.left, s.moved),
                                      s.cost.line))  # fmt: skip


def _outcome(split: Split, v: Violation) -> str:
    text = (f"extracting it into a function leaves {format_number(split.left)} here and "
            f"{split.moved} in the new function")  # fmt: skip
    if max(split.left, split.moved) > v.threshold:
        text += f" (still above {format_number(v.threshold)}: split further)"
    return text


def _cognitive(v: Violation, costs: list[CostSummary]) -> list[str]:
    biggest = _top([c for c in costs if c.top], lambda c: c.here)
    dominant = biggest.here * DOMINANT_SHARE >= v.value
    split = best_split(costs, v, lambda c: c.here, lambda c: c.alone)
    if biggest.name and dominant:
        return [f"{_where(biggest)} adds {biggest.here} (its own score, raised by nesting); "
                "move it to module level or split it"]  # fmt: skip
    if split is None and dominant:
        return [f"{_where(biggest)} contributes {biggest.here} through boolean operators or "
                "conditional expressions; give those conditions names"]  # fmt: skip
    if split is None or _spread(costs, v.value, biggest.here):
        return [_spread_advice(costs, biggest)]
    return [_split_advice(split, v)]


def _spread_advice(costs: list[CostSummary], biggest: CostSummary) -> str:
    """No single block dominates the cognitive score: advise splitting the function into steps."""
    count = sum(1 for c in costs if c.top and c.here)
    return (f"it is spread over {count} statements, the largest {_where(biggest)} "
            f"({biggest.here}); split the function into steps")  # fmt: skip


def _split_advice(split: Split, v: Violation) -> str:
    """Name the block worth extracting, with how much of its cognitive score comes from nesting."""
    c = split.cost
    nesting = f", {c.here - c.alone} of it only from nesting" if c.here > c.alone else ""
    return f"{_where(c)} contributes {c.here} where it sits{nesting}; {_outcome(split, v)}"


def _cyclomatic(v: Violation, costs: list[CostSummary]) -> list[str]:
    total = int(v.value) - 1
    chain = _top(costs, lambda c: c.branches)
    split = best_split(costs, v, lambda c: c.decisions, lambda c: c.decisions + 1)
    if chain.branches >= 4:
        parts = [f"the `if`/`elif` chain at line {chain.line} has {chain.branches} branches; "
                 "replace it with a dict that maps each case to a value or a function"]  # fmt: skip
    elif split is None or _spread(costs, total, _top(costs, lambda c: c.decisions).decisions):
        top = _top([c for c in costs if c.top], lambda c: c.decisions)
        parts = [f"its {total} decision points are spread over the whole body, the most in "
                 f"{_where(top)} ({top.decisions}); split the function into steps"]  # fmt: skip
    else:
        parts = [f"{_where(split.cost)} holds {split.taken} of its {total} decision points; "
                 f"{_outcome(split, v)}"]  # fmt: skip
    operators = sum(c.operators for c in costs if c.top)
    if operators >= 3:
        parts.append(f"{operators} decision points are `and`/`or` operators; move those "
                     "conditions into well-named predicate functions")  # fmt: skip
    return parts


def _assert_driven(v: Violation, func: FunctionMetrics) -> str | None:
    """The advice for a function over the CC threshold only because radon counts its asserts
    (issue 15: 41% of CC failures on real code, mostly tests); None for any other offender."""
    if v.metric is not Metric.CYCLOMATIC or not func.asserts or v.value - func.asserts > v.threshold:
        return None
    return (f"{func.asserts} of its decision points are `assert` statements, which radon counts "
            "and mccabe and ruff's C901 do not; without them it scores "
            f"{format_number(v.value - func.asserts)}, within the threshold: measure such code "
            "(tests, say) with `count_asserts = false` (docs/configuration.md) rather than "
            "splitting it")  # fmt: skip


def _maintainability(func: FunctionMetrics, costs: list[CostSummary]) -> list[str]:
    # Our per-function MI rests on the complete Halstead count (docs/metrics.md), not radon's.
    parts = [f"{func.length} lines, cyclomatic complexity {func.cyclomatic_complexity}, "
             f"Halstead volume {func.halstead_volume_complete:.0f}"]  # fmt: skip
    blocks = [c for c in costs if c.compound and c.top]
    if blocks:
        longest = _top(blocks, lambda c: c.lines)
        parts.append(f"its longest block is {_where(longest)} ({longest.lines} lines): extract it")
    return parts


def _shape(func: FunctionMetrics) -> list[str]:
    """Advice from the function's shape, whatever the rule: nesting and parameters."""
    parts = []
    if func.max_nesting >= DEEP_NESTING:
        parts.append(f"nesting depth {func.max_nesting}: return or `continue` early "
                     "(guard clauses) to flatten it")  # fmt: skip
    if func.parameters > MAX_PARAMETERS:
        parts.append(f"{func.parameters} parameters: group related ones into a dataclass")
    return parts


def function_advice(v: Violation, func: FunctionMetrics, costs: list[CostSummary]) -> str:
    """The advice for one function violation: what to change, with the numbers behind it."""
    asserts = _assert_driven(v, func)
    if asserts:
        parts = [asserts]
    elif v.metric is Metric.COGNITIVE:
        parts = _cognitive(v, costs)
    elif v.metric is Metric.CYCLOMATIC:
        parts = _cyclomatic(v, costs)
    elif v.metric is Metric.CRAP:
        parts = [_BRIEF[Metric.CRAP]]
    else:
        parts = _maintainability(func, costs)
    return f"{v.message}: " + "; ".join(parts + _shape(func))


_LINE = operator.attrgetter("lineno")
_COMPLEXITY = operator.attrgetter("cyclomatic_complexity")
_PLACE = operator.attrgetter("id", "lineno")  # how a violation names its function


def _by_place(file: FileMetrics) -> dict[tuple[str, int], FunctionMetrics]:
    """The file's functions by the (symbol, line) a violation names them with."""
    return dict(zip(map(_PLACE, file.functions), file.functions, strict=True))


def file_advice(v: Violation, file: FileMetrics) -> str:
    """The advice for a file whose maintainability index is too low."""
    size = (f"{file.raw.lloc} logical lines, total cyclomatic complexity "
            f"{file.cyclomatic_complexity}, Halstead volume {file.halstead.volume:.0f}")  # fmt: skip
    # The most complex first, the earliest of equals: two sorts with C-level keys (a key
    # function would run once per function of each of the stdlib's 400 such files).
    by_line = sorted(file.functions, key=_LINE)
    worst = [f for f in sorted(by_line, key=_COMPLEXITY, reverse=True)[:3] if f.cyclomatic_complexity > 1]
    if not worst:
        return f"{v.message}: {size}; split the module into smaller ones"
    names = ", ".join(f"`{f.qualname}` ({f.cyclomatic_complexity})" for f in worst)
    return (f"{v.message}: {size}; the most complex functions are {names}: simplify them "
            "or move some into another module")  # fmt: skip


def _suggestion(v: Violation, text: str) -> Suggestion:
    qualname = None if v.symbol == v.path else v.symbol
    return Suggestion(SuggestionKind.RULE, v.rule, v.path, v.line, qualname, text)


# Statement-level breakdowns re-parse the function: worth it for the offenders a reader will look
# at, not for the 2,000 of a legacy tree (1 s on the stdlib). The worst DETAILED_LIMIT of a run
# get one; the rest get short advice. (`qualitygate merge` recomputes advice over all shards.)
DETAILED_LIMIT = 50

_BRIEF = {
    Metric.COGNITIVE: "extract the most deeply nested blocks into functions and flatten the rest "
    "with guard clauses",
    Metric.CYCLOMATIC: "split the function into steps, or replace long branch chains with a lookup",
    # Issue 14: fully covered, a function's CRAP score is its cyclomatic complexity.
    Metric.CRAP: "add tests that run its uncovered lines (fully covered, its CRAP score falls to its "
    "cyclomatic complexity), or split it into simpler functions",
}


# The same by rule code: a str key hashes in C, an enum member in Python (2,000 lookups).
_BRIEF_BY_RULE = {rule.code: _BRIEF[rule.metric] for rule in RULES if rule.metric in _BRIEF}


def brief_advice(v: Violation, func: FunctionMetrics) -> str:
    """Advice without a statement breakdown, for offenders past the DETAILED_LIMIT worst."""
    asserts = _assert_driven(v, func)
    if asserts:
        parts = [asserts]
    elif v.metric is Metric.MAINTAINABILITY:
        parts = _maintainability(func, [])
    else:
        parts = [_BRIEF_BY_RULE.get(v.rule) or _BRIEF[v.metric]]
    return f"{v.message}: " + "; ".join(parts + _shape(func))


def _file_suggestions(
    file: FileMetrics,
    violations: list[Violation],
    lines: Lines,
    detailed: set[int],
    costs: Mapping[Key, Found],
) -> Iterator[Suggestion]:
    functions = _by_place(file)
    for v in violations:
        if v.metric in _NOT_FUNCTIONS:  # issue 15: a class, or an import cycle
            yield _suggestion(v, _NOT_FUNCTIONS[v.metric](v, file, lines))
            continue
        func = functions.get((v.symbol, v.line))
        if func is None:
            yield _suggestion(v, file_advice(v, file))
            continue
        found = costs.get(key(file, func)) if id(v) in detailed else None
        # No breakdown (past the worst, or the file changed or cannot be read since measuring):
        # the short advice, which rests on the measured metrics alone, rather than none.
        text = brief_advice(v, func) if found is None else function_advice(v, func, found)
        yield _suggestion(v, text)


def _wmc_advice(v: Violation, file: FileMetrics, lines: Lines) -> str:
    """QG006: the class's most complex methods (its own, not those of nested classes)."""
    prefix = v.symbol + "."
    own = [f for f in sorted(file.functions, key=_LINE) if f.qualname.startswith(prefix)
           and "." not in f.qualname[len(prefix):]]  # fmt: skip
    worst = sorted(own, key=_COMPLEXITY, reverse=True)[:3]
    names = ", ".join(f"`{f.name}` ({f.cyclomatic_complexity})" for f in worst)
    return (f"{v.message}: the most complex methods are {names}; simplify them, or move a group of "
            "methods with the state they share into a class of its own")  # fmt: skip


def _lcom4_advice(v: Violation, file: FileMetrics, lines: Lines) -> str:
    """QG007: the groups of methods, each with the attributes that hold it together."""
    from qualitygate.metrics.classes import class_components, find_class, scan_uses
    from qualitygate.metrics.structure import walk_structure

    source = "".join(lines())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = find_class(walk_structure(ast.parse(source)).classes, v.line)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        info = None
    groups = class_components(info, scan_uses(source)) if info and info.qualname == v.symbol else []
    count = format_number(v.value)
    if len(groups) != v.value:  # the file changed since it was measured: no names beat wrong ones
        return f"{v.message}: split it into {count} cohesive classes, one per group of methods that share attributes"
    parts = "; ".join(_group_text(g.methods, g.shared) for g in groups)
    return f"{v.message}: split it into {count} cohesive classes: {parts}"


def _group_text(methods: tuple[str, ...], shared: tuple[str, ...]) -> str:
    names = ", ".join(f"`{m}`" for m in methods)
    if not shared:
        return f"{names} (no attribute)"
    verb = "share" if len(methods) > 1 else "uses"
    return f"{names} {verb} " + ", ".join(f"`self.{a}`" for a in shared)


def _cycle_advice(v: Violation, file: FileMetrics, lines: Lines) -> str:
    """QG008: the message names the cycle and the imports that close it."""
    return f"{v.message}: move the shared code into a third module, or import lazily inside the function that needs it"


_NOT_FUNCTIONS: dict[Metric, Callable[[Violation, FileMetrics, Lines], str]] = {
    Metric.WMC: _wmc_advice, Metric.LCOM4: _lcom4_advice, Metric.IMPORT_CYCLE: _cycle_advice,
}


Heat = Mapping[tuple[str, str], float]  # (path, function id) -> hotspot score (issue 14)


def hottest_first(violations: list[Violation], heat: Heat | None) -> list[Violation]:
    """``violations`` (worst first) with the hottest functions ahead; the order otherwise kept."""
    if not heat:
        return violations
    return sorted(violations, key=lambda v: -heat.get((v.path, v.symbol), 0))


def rule_suggestions(
    result: GateResult, read: SourceReader, breakdowns: Breakdowns | None = None,
    heat: Heat | None = None, count_asserts: bool = True,
) -> tuple[Suggestion, ...]:
    """Advice for every violation (errors and warnings), in the order of the violations.

    ``breakdowns`` computes the statement costs of the worst offenders, all at once (the
    breakdown cache reuses them from disk; by default they are computed here with the project's
    ``count_asserts``); ``heat`` (hotspot scores) puts the places that change first.
    """
    files = {f.path: f for f in result.files}
    # By excess alone: errors and warnings get the detailed advice alike.
    worst = hottest_first(worst_first(result.violations, errors_first=False), heat)[:DETAILED_LIMIT]
    detailed = {id(v) for v in worst}  # these very objects: no hashing of fields
    lines_of = _LinesOf(read)
    costs = (breakdowns or Breakdowns(count_asserts)).of(_offenders(worst, files), lines_of)
    found: list[Suggestion] = []
    for path, group in groupby(result.violations, key=lambda v: v.path):
        file = files.get(path)
        if file is not None:
            found.extend(_file_suggestions(file, list(group), functools.partial(lines_of, path), detailed, costs))
    return tuple(found)


class _LinesOf:
    """A file's lines by path, read only when advice needs them, and then once."""

    def __init__(self, read: SourceReader) -> None:
        self.read = read
        self.found: dict[str, list[str]] = {}

    def __call__(self, path: str) -> list[str]:
        if path not in self.found:
            self.found[path] = (self.read(path) or "").splitlines(keepends=True)
        return self.found[path]


def _offenders(worst: list[Violation], files: Mapping[str, FileMetrics]) -> list[tuple[FileMetrics, FunctionMetrics]]:
    """The functions the ``worst`` violations name, each once (one breakdown serves every rule)."""
    found: dict[Key, tuple[FileMetrics, FunctionMetrics]] = {}
    for v in worst:
        file = files.get(v.path)
        if file is None or v.metric in _NOT_FUNCTIONS:
            continue
        func = _by_place(file).get((v.symbol, v.line))
        if func is not None:
            found.setdefault(key(file, func), (file, func))
    return list(found.values())
