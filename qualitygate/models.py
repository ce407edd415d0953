"""Frozen records shared by every stage; no logic beyond small properties.

NamedTuples for the small records a run makes thousands of (metrics parts, violations, advice):
as immutable and typed as a frozen dataclass, and the class costs a tenth as much to create at
import, each instance a fifth (issue 5: a warm run is mostly start-up and these). Frozen
dataclasses for the records with derived or hidden fields.
"""
from __future__ import annotations

import enum
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import NamedTuple

from qualitygate.metrics.classes import ClassMetrics  # defined with its walk; re-exported here


class Metric(str, enum.Enum):
    """The metrics a rule can gate on (the JSON ``metric`` field)."""

    CYCLOMATIC = "cyclomatic_complexity"
    COGNITIVE = "cognitive_complexity"
    MAINTAINABILITY = "maintainability_index"
    CRAP = "crap_score"  # joined from a coverage file, not measured from the source (issue 14)
    # The modules in an import cycle, from the local import graph of the whole run (issue 15).
    IMPORT_CYCLE = "import_cycle"
    WMC = "wmc"  # weighted methods per class: its methods' CC summed (issue 15: QG006, off by default)
    LCOM4 = "lcom4"  # a class's cohesion: connected components of its methods (QG007, off by default)


class Scope(str, enum.Enum):
    """Whether a rule looks at functions or at whole files."""

    FUNCTION = "function"
    FILE = "file"
    CLASS = "class"  # QG006 and QG007: the symbol is the class's qualname, the line its ``class`` line


class Severity(str, enum.Enum):
    """How a violation is reported; only errors fail the gate."""

    ERROR = "error"
    WARNING = "warning"


class RawMetrics(NamedTuple):
    """Line counts, equal to ``radon.raw.analyze``."""

    loc: int = 0
    lloc: int = 0
    sloc: int = 0
    comments: int = 0
    multi: int = 0
    blank: int = 0
    single_comments: int = 0


class Halstead(NamedTuple):
    """Halstead totals, equal to radon's ``h_visit_ast(tree).total``."""

    vocabulary: int = 0
    length: int = 0
    volume: float = 0.0
    difficulty: float = 0.0
    effort: float = 0.0
    time: float = 0.0
    bugs: float = 0.0


class Dependencies(NamedTuple):
    """Imported top-level modules, sorted into three kinds."""

    stdlib: tuple[str, ...] = ()
    third_party: tuple[str, ...] = ()
    local: tuple[str, ...] = ()


class FunctionMetrics(NamedTuple):
    """Metrics of one function, method or nested function.

    A NamedTuple rather than a frozen dataclass: just as immutable and typed, and a warm run
    builds the stdlib's 16,500 of them from the cache in 3 ms instead of 17 (issue 5).
    """

    name: str
    qualname: str
    lineno: int
    end_lineno: int
    cyclomatic_complexity: int
    cognitive_complexity: int
    maintainability_index: float
    halstead_volume: float
    length: int
    parameters: int
    max_nesting: int
    # The first decorator's line (Python's co_firstlineno), so --diff sees decorator edits (issue 4).
    first_lineno: int = 0
    # Unique in its file: the qualname, plus ``#2``, ``#3``... for the second and later defs
    # sharing it (a property's setter, ``@overload`` stubs), in source order (issue 12).
    id: str = ""
    # The 1-based column of the ``def`` (``async def``) keyword, for ``path:line:col:`` (issue 16);
    # 0 in a report written before columns existed.
    column: int = 0
    # Halstead volume over every token of the body (Halstead's own definition), which our
    # per-function maintainability index uses; ``halstead_volume`` stays radon's (issue 15).
    halstead_volume_complete: float = 0.0
    # The asserts counted in ``cyclomatic_complexity``: 0 with ``count_asserts = false`` (issue 15).
    asserts: int = 0


def function_ids(qualnames: Iterable[str]) -> list[str]:
    """The id of each of a file's functions, given their qualnames in source order."""
    seen: dict[str, int] = {}
    ids = []
    for qualname in qualnames:
        count = seen[qualname] = seen.get(qualname, 0) + 1
        ids.append(qualname if count == 1 else f"{qualname}#{count}")
    return ids


def qualname_of(function_id: str) -> str:
    """The qualname inside a function id (``Cls.prop#2`` -> ``Cls.prop``)."""
    return function_id.partition("#")[0]


class Suppression(NamedTuple):
    """One ``# qualitygate: ignore`` comment and what it covers (issue 4)."""

    line: int  # where the comment is
    scope: Scope  # FILE for ``ignore-file``, else FUNCTION
    names: tuple[str, ...] = ()  # metric names or rule codes as written; empty means every rule
    target: int = 0  # FUNCTION scope: the def line of the function it covers
    problem: str = ""  # why it covers nothing (misplaced); empty when it applies
    # "qualitygate" for our own comments; "noqa" for a ruff/flake8 noqa comment naming C901 on a
    # def line, which covers QG001 while ``honor_noqa`` is on (issue 16).
    kind: str = "qualitygate"


class ImportRecord(NamedTuple):
    """One import statement as the structure walk meets it, for the local import graph (issue 15)."""

    line: int
    level: int  # the leading dots of a relative import; 0 for an absolute one
    module: str  # the X of ``from X import``; "" for ``import a.b`` and ``from . import a``
    names: tuple[str, ...]  # the names imported; for ``import a.b, c`` the dotted modules
    type_checking: bool = False  # under ``if TYPE_CHECKING:``: it never runs, so it makes no cycle


class ModuleCoupling(NamedTuple):
    """One module of the local import graph: Robert C. Martin's afferent and efferent couplings."""

    module: str
    path: str
    fan_in: int  # local modules that import this one
    fan_out: int  # local modules this one imports
    instability: float  # fan_out / (fan_in + fan_out), 0 when both are 0; two decimals


class Coupling(NamedTuple):
    """The local import graph of one run (issue 15): every module, and every import cycle."""

    modules: tuple[ModuleCoupling, ...] = ()
    cycles: tuple[tuple[str, ...], ...] = ()  # each strongly connected component (Tarjan), sorted


class NotebookCell(NamedTuple):
    """One code cell of a notebook in the source measured (issue 15): where its lines start."""

    line: int  # the line of the code cells joined in order where this cell starts
    cell: int  # the cell's index among all the notebook's cells, 1-based
    json_line: int  # the line of the .ipynb file holding its first line; 0 when not known


@dataclass(frozen=True)
class FileMetrics:
    """Metrics of one Python file and all of its functions."""

    path: str
    raw: RawMetrics
    cyclomatic_complexity: int
    maintainability_index: float
    halstead: Halstead
    dependencies: Dependencies
    functions: tuple[FunctionMetrics, ...] = ()
    suppressions: tuple[Suppression, ...] = ()  # read in the worker, where the source is (issue 4)
    imports: tuple[ImportRecord, ...] = ()  # every import statement, for the import graph (issue 15)
    classes: tuple[ClassMetrics, ...] = ()  # every class, in source order (issue 15)
    cells: tuple[NotebookCell, ...] = ()  # a notebook's code cells; empty for a .py file (issue 15)


class AnalysisError(NamedTuple):
    """A file that could not be measured, with the reason and the line if known."""

    path: str
    line: int | None
    message: str


class Violation(NamedTuple):
    """One metric of one function or file over its threshold."""

    rule: str
    metric: Metric
    path: str
    line: int
    end_line: int
    symbol: str
    value: float
    threshold: float
    message: str
    severity: Severity = Severity.ERROR
    # The value the baseline recorded, set when this offender got worse than that (issue 4).
    baseline_value: float | None = None
    # With --diff: the value at the merge-base; None when the function or file was not there
    # (issue 14).
    base_value: float | None = None
    # The 1-based column of the ``def`` for a function; 1 for a file, a coverage record, or a
    # function measured before columns existed (issue 16).
    column: int = 1

    @property
    def comparison(self) -> str:
        """``>`` when the value is above a ceiling, ``<`` when it is below a floor."""
        return "<" if self.metric is Metric.MAINTAINABILITY else ">"

    @property
    def excess(self) -> float:
        """How far past the threshold, relative to it (0.5 means 50% over)."""
        if self.metric is Metric.MAINTAINABILITY:
            return (self.threshold - self.value) / max(self.threshold, 1.0)
        return (self.value - self.threshold) / max(self.threshold, 1.0)


def format_number(value: float) -> str:
    """Integers without a decimal point, other numbers with two decimals."""
    if float(value).is_integer():
        return f"{value:g}"
    return f"{value:.2f}"


@dataclass(frozen=True)
class Summary:
    """Counts over one gate run."""

    files: int
    functions: int
    violations: int
    errors: int
    warnings: int
    by_metric: dict[str, int] = field(default_factory=dict)
    average_maintainability_index: float = 100.0
    average_cyclomatic_complexity: float = 0.0
    # Offenders that do not fail, each counted so none is silently gone (issue 4).
    suppressed: int = 0
    baselined: int = 0
    informational: int = 0
    preexisting: int = 0
    fixed: int = 0


class FixedOffender(NamedTuple):
    """A baseline entry that no longer fails, so the baseline can be tightened (issue 4)."""

    rule: str
    path: str
    symbol: str  # the function's id (its qualname, ``#n`` for a repeat), or the path for file rules
    recorded: float  # the value in the baseline
    value: float | None  # the value now; None when the function or file is gone


class SuggestionKind(str, enum.Enum):
    """Where a suggestion comes from: the offline advisor, or a verified AI rewrite (issue 6)."""

    RULE = "rule"
    AI = "ai"


class Suggestion(NamedTuple):
    """Advice for one violation; an AI one carries a patch, the metrics it changes, and the
    evidence of what was checked (issue 13)."""

    kind: SuggestionKind
    rule: str
    path: str
    line: int
    qualname: str | None  # None for file-level rules (QG003)
    text: str
    patch: str | None = None  # a unified diff that `git apply` accepts (AI only)
    verified: bool = False  # static checks passed AND behaviour evidence (tests) exists
    before: tuple[tuple[str, float], ...] = ()  # (metric, value) of the function, sorted
    after: tuple[tuple[str, float], ...] = ()
    # (key, value) pairs, JSON-able: static, tests, replayed_calls, warnings, not_checked (AI only)
    evidence: tuple[tuple[str, str | int], ...] = ()


class ChangeStatus(str, enum.Enum):
    """What a change did to a function or file since the merge-base (issue 14)."""

    ADDED = "added"
    MODIFIED = "modified"
    REMOVED = "removed"


class Change(NamedTuple):
    """One function or file added, modified or removed since the ``--diff`` merge-base."""

    path: str
    symbol: str  # the function's id, or the path for the file itself
    status: ChangeStatus
    line: int  # where it is now; where it was when removed
    end_line: int
    # (metric, (before, after)) in a fixed order; None for the side where it does not exist.
    metrics: tuple[tuple[str, tuple[float | None, float | None]], ...]


class FunctionCoverage(NamedTuple):
    """One function's line coverage from the coverage file, and its CRAP score (issue 14)."""

    path: str
    symbol: str  # the function's id
    line: int
    end_line: int
    cyclomatic_complexity: int
    executable: int  # lines the coverage file lists in the function's own body
    covered: int  # of those, the lines it ran
    coverage: float | None  # covered / executable; None when the body lists no line
    crap: float | None  # CC² × (1 − coverage)³ + CC (Savoia and Evans); None without coverage
    column: int = 1  # the def's 1-based column, for QG005's ``path:line:col:`` (issue 16)


_ON_DEMAND = (Metric.IMPORT_CYCLE, Metric.WMC, Metric.LCOM4)
_FUNCTIONS = operator.attrgetter("functions")
_CYCLOMATIC = operator.attrgetter("cyclomatic_complexity")


@dataclass(frozen=True)
class GateResult:
    """The verdict: every file measured, every violation and every error, sorted."""

    files: tuple[FileMetrics, ...]
    violations: tuple[Violation, ...]
    errors: tuple[AnalysisError, ...]
    # Advice only: never read by ``passed`` or the exit code (issue 6).
    suggestions: tuple[Suggestion, ...] = ()
    # Offenders taken out of ``violations`` (issue 4): none of them fails the gate.
    suppressed: tuple[Violation, ...] = ()  # an inline ignore comment in the source
    baselined: tuple[Violation, ...] = ()  # in the baseline and no worse than recorded
    informational: tuple[Violation, ...] = ()  # outside the code changed since --diff REF
    # Changed since --diff REF, but failing at the merge-base too and no worse (issue 14).
    preexisting: tuple[Violation, ...] = ()
    fixed: tuple[FixedOffender, ...] = ()  # baseline entries that no longer fail
    changes: tuple[Change, ...] = ()  # with --diff: what changed since the merge-base (issue 14)
    coverage: tuple[FunctionCoverage, ...] = ()  # with coverage_file: by path and line (issue 14)
    coupling: Coupling | None = None  # the local import graph; None in a --shard run (issue 15)

    # Cached: every reporter asks, and on the stdlib each pass walks 16,500 functions. The
    # fields are frozen, so the answer cannot go stale.
    @cached_property
    def failing(self) -> tuple[Violation, ...]:
        """Violations that fail the gate (warnings do not)."""
        return tuple(v for v in self.violations if v.severity is Severity.ERROR)

    @property
    def passed(self) -> bool:
        """True when no violation fails and every file was analysed."""
        return not self.failing and not self.errors

    @cached_property
    def summary(self) -> Summary:
        """Counts and averages for reporters."""
        # crap_score only in a run with coverage, so reports without one stay as they were.
        # import_cycle and the class metrics only when one fails (their rules are off by default: issue 15).
        by_metric = {m.value: 0 for m in Metric if (m is not Metric.CRAP or self.coverage) and m not in _ON_DEMAND}
        for v in self.failing:
            by_metric[v.metric.value] = by_metric.get(v.metric.value, 0) + 1
        mis = [fm.maintainability_index for fm in self.files]
        # 16,500 functions on the stdlib: counted and summed at C speed (ints: exact in any order).
        functions = sum(map(len, map(_FUNCTIONS, self.files)))
        total_cc = sum(map(_CYCLOMATIC, chain.from_iterable(map(_FUNCTIONS, self.files))))
        return Summary(
            files=len(self.files),
            functions=functions,
            violations=len(self.failing),
            errors=len(self.errors),
            warnings=len(self.violations) - len(self.failing),
            by_metric=by_metric,
            average_maintainability_index=round(sum(mis) / len(mis), 2) if mis else 100.0,
            average_cyclomatic_complexity=round(total_cc / functions, 2) if functions else 0.0,
            suppressed=len(self.suppressed),
            baselined=len(self.baselined),
            informational=len(self.informational),
            preexisting=len(self.preexisting),
            fixed=len(self.fixed),
        )
