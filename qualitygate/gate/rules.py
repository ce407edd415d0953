"""The rule registry (code, metric, threshold key and default, help) and evaluate(): metrics -> violations."""
from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from itertools import compress, repeat
from typing import NamedTuple

from qualitygate.models import (
    FileMetrics,
    FunctionCoverage,
    Metric,
    Scope,
    Severity,
    Violation,
    format_number,
)

# --fail-on-worse (issue 14): a function changed since the --diff merge-base got worse there, even
# under its threshold. Not in RULES: it compares two versions, not one value with a threshold.
WORSE_RULE = "QG010"
WORSE_NAME = "worse-than-base"


class Rule(NamedTuple):
    """One gate check: a metric of a function or a file compared with a threshold."""

    code: str
    name: str
    metric: Metric
    scope: Scope
    setting: str
    higher_is_worse: bool
    short: str
    help: str

    @property
    def symbol(self) -> str:
        """The comparison shown in messages: the value is over (>) or under (<) the threshold."""
        return ">" if self.higher_is_worse else "<"

    @property
    def compare(self) -> Callable[[float, float], bool]:
        """``(value, threshold) -> fails``: above fails for complexity, below for maintainability."""
        return operator.gt if self.higher_is_worse else operator.lt

    def fails(self, value: float, threshold: float) -> bool:
        """Whether ``value`` breaks ``threshold`` under this rule."""
        return self.compare(value, threshold)

    @property
    def needs_coverage(self) -> bool:
        """True when the value comes from the coverage file, not from the source (issue 14)."""
        return self.metric is Metric.CRAP

    @property
    def needs_graph(self) -> bool:
        """True when the value comes from the import graph of the whole run (issue 15)."""
        return self.metric is Metric.IMPORT_CYCLE


RULES: tuple[Rule, ...] = (
    Rule(
        "QG001", "cyclomatic-complexity", Metric.CYCLOMATIC, Scope.FUNCTION,
        "complexity_threshold", True,
        "Function cyclomatic complexity is above the threshold",
        "Cyclomatic complexity (McCabe, as radon counts it) is the number of independent paths "
        "through a function. Split the function, or replace branches with lookups or early returns.",
    ),
    Rule(
        "QG002", "cognitive-complexity", Metric.COGNITIVE, Scope.FUNCTION,
        "cognitive_complexity_threshold", True,
        "Function cognitive complexity is above the threshold",
        "Cognitive complexity (SonarSource) measures how hard a function is to read: every break "
        "in linear flow costs 1, plus 1 per level of nesting. Flatten nesting with guard clauses "
        "and extract nested blocks into functions.",
    ),
    Rule(
        "QG003", "maintainability-index", Metric.MAINTAINABILITY, Scope.FILE,
        "maintainability_threshold", False,
        "File maintainability index is below the threshold",
        "The maintainability index (radon's formula: Halstead volume, cyclomatic complexity, "
        "logical lines and comments, scaled 0-100) is low. Split the module and simplify its "
        "most complex functions.",
    ),
    Rule(
        "QG004", "function-maintainability-index", Metric.MAINTAINABILITY, Scope.FUNCTION,
        "function_maintainability_threshold", False,
        "Function maintainability index is below the threshold",
        "The function's own maintainability index (radon's formula over the function's lines) is "
        "low. Shorten the function and reduce its complexity.",
    ),
    Rule(
        "QG005", "crap-score", Metric.CRAP, Scope.FUNCTION,
        "crap_threshold", True,
        "Function CRAP score (complexity left untested) is above the threshold",
        "The CRAP score (Change Risk Anti-Patterns, Savoia and Evans) is CC^2 x (1 - coverage)^3 + "
        "CC, from the function's cyclomatic complexity and its line coverage in the coverage file: "
        "complex code that the tests do not run is risky to change. Cover the function with tests "
        "(fully covered, its score is its complexity), or split it.",
    ),
    # The class rules (issue 15), off by default; docs/metrics.md defines both metrics.
    Rule(
        "QG006", "class-weighted-methods", Metric.WMC, Scope.CLASS,
        "class_wmc_threshold", True,
        "Class weighted methods (WMC) is above the threshold",
        "Weighted methods per class (Chidamber and Kemerer) is the sum of the cyclomatic "
        "complexity of a class's methods: how much behaviour the class holds. Simplify its most "
        "complex methods, or move a group of methods, with the state they share, into a class "
        "of its own.",
    ),
    Rule(
        "QG007", "class-cohesion", Metric.LCOM4, Scope.CLASS,
        "class_lcom4_threshold", True,
        "Class cohesion (LCOM4) is above the threshold",
        "LCOM4 (Hitz and Montazeri) counts the groups of methods that share no `self` attribute "
        "and do not call each other through `self`; constructors and stub methods do not count. "
        "A class of two or more groups does unrelated jobs: split it into one class per group.",
    ),
    Rule(
        "QG008", "import-cycle", Metric.IMPORT_CYCLE, Scope.FILE,
        "forbid_import_cycles", True,
        "Local modules import each other in a cycle",
        "Modules of the project import each other in a cycle (a strongly connected component of "
        "the local import graph, found with Tarjan's algorithm; imports under `if TYPE_CHECKING:` "
        "do not count). A cycle makes import order matter and the modules impossible to "
        "understand or reuse apart. Move what both need into a third module, import lazily "
        "where it is used, or invert the dependency.",
    ),
)  # fmt: skip

RULES_BY_CODE = {rule.code: rule for rule in RULES}
METRIC_NAMES = frozenset(m.value for m in Metric)
# What ``warning_rules`` may name: rule codes and names, metric names and "file_" + a metric name.
WARNING_NAMES = frozenset(
    name for r in RULES for name in (r.code, r.name, r.metric.value, f"file_{r.metric.value}")
)
# The rules ``evaluate`` checks on the measured metrics; QG005 needs the coverage file, so
# ``coverage_violations`` checks it (issue 14).
SOURCE_RULES = tuple(rule for rule in RULES if not rule.needs_coverage and not rule.needs_graph)
COVERAGE_RULES = frozenset(rule.code for rule in RULES if rule.needs_coverage)


# The default thresholds, written here only: Settings, the CLI help and the report read them.
DEFAULT_COMPLEXITY = 10
DEFAULT_COGNITIVE_COMPLEXITY = 15
DEFAULT_MAINTAINABILITY = 65.0
DEFAULT_FUNCTION_MAINTAINABILITY: float | None = None  # QG004 is off unless configured
DEFAULT_CRAP: float | None = None  # QG005 is off unless configured (30 is the usual value)
DEFAULT_CLASS_WMC: float | None = None  # QG006 is off unless configured (issue 15)
DEFAULT_CLASS_LCOM4: float | None = None  # QG007 is off unless configured; 1 flags any split class


class Thresholds(NamedTuple):
    """The thresholds in force for one file (after per-path overrides)."""

    complexity_threshold: float | None = DEFAULT_COMPLEXITY
    cognitive_complexity_threshold: float | None = DEFAULT_COGNITIVE_COMPLEXITY
    maintainability_threshold: float | None = DEFAULT_MAINTAINABILITY
    function_maintainability_threshold: float | None = DEFAULT_FUNCTION_MAINTAINABILITY
    crap_threshold: float | None = DEFAULT_CRAP  # 0 is off too: every score is at least 1
    forbid_import_cycles: bool | None = None  # QG008: None or false is off (issue 15)
    class_wmc_threshold: float | None = DEFAULT_CLASS_WMC  # QG006 (issue 15)
    class_lcom4_threshold: float | None = DEFAULT_CLASS_LCOM4  # QG007 (issue 15)


@functools.lru_cache(maxsize=16)  # one run asks once per file with the same warning_rules
def _severities(warning_rules: frozenset[str]) -> dict[str, Severity]:
    return {rule.code: _severity(rule, warning_rules) for rule in RULES}


def severity_of(code: str, warning_rules: Iterable[str]) -> Severity:
    """A rule's severity under ``warning_rules`` (for rules checked outside ``evaluate``)."""
    return _severities(frozenset(warning_rules))[code]


def _severity(rule: Rule, warning_rules: frozenset[str]) -> Severity:
    if rule.code in warning_rules or rule.name in warning_rules:
        return Severity.WARNING
    if rule.scope is Scope.FUNCTION and rule.metric.value in warning_rules:
        return Severity.WARNING
    if rule.scope is Scope.FILE and f"file_{rule.metric.value}" in warning_rules:
        return Severity.WARNING
    return Severity.WARNING if rule.metric.value in warning_rules else Severity.ERROR


def _violation(rule: Rule, file: FileMetrics, symbol: str, lines: tuple[int, int],
               value: float, threshold: float, severity: Severity) -> Violation:  # fmt: skip
    label, limit = _message_parts(rule, threshold)
    return Violation(rule.code, rule.metric, file.path, lines[0], lines[1], symbol, value, threshold,
                     label + format_number(value) + limit, severity)  # fmt: skip


_LABELS = {Metric.CRAP: "CRAP score", Metric.WMC: "WMC", Metric.LCOM4: "LCOM4"}


def _message_parts(rule: Rule, threshold: float) -> tuple[str, str]:
    """The message around the value, e.g. ("cognitive complexity ", " > 15")."""
    label = _LABELS.get(rule.metric) or rule.metric.value.replace("_", " ")
    return f"{label} ", f" {rule.symbol} {format_number(threshold)}"


def evaluate(
    file: FileMetrics, thresholds: Thresholds, warning_rules: Iterable[str] = ()
) -> list[Violation]:
    """Every rule over one file's metrics; unset thresholds (None) disable their rule."""
    severities = _severities(frozenset(warning_rules))
    found: list[Violation] = []
    for rule in SOURCE_RULES:
        threshold = getattr(thresholds, rule.setting)
        if threshold is None:
            continue
        severity = severities[rule.code]
        if rule.scope is Scope.FILE:
            value = file.maintainability_index
            if rule.fails(value, threshold):
                end = max(file.raw.loc, 1)
                found.append(_violation(rule, file, file.path, (1, end), value, threshold, severity))
            continue
        if rule.scope is Scope.CLASS:
            found.extend(_class_violations(rule, file, threshold, severity))
            continue
        found.extend(_function_violations(rule, file, threshold, severity))
    return found


def _class_violations(rule: Rule, file: FileMetrics, threshold: float, severity: Severity) -> list[Violation]:
    """QG006/QG007 (issue 15): the class's qualname as the symbol, its ``class`` line as the line."""
    found = []
    for c in file.classes:
        value = getattr(c, rule.metric.value)  # the Metric's value names the ClassMetrics field
        if rule.fails(value, threshold):
            found.append(_violation(rule, file, c.qualname, (c.line, c.end_line), value, threshold, severity))
    return found


# Each function rule's metric getter, made once (a warm stdlib run asks 1,464 times).
_VALUE_OF = {rule.code: operator.attrgetter(rule.metric.value) for rule in SOURCE_RULES if rule.scope is Scope.FUNCTION}


def _function_violations(rule: Rule, file: FileMetrics, threshold: float, severity: Severity) -> list[Violation]:
    # The hot loop of a warm run (16,500 functions on the stdlib, per rule): values, comparisons
    # and selection all at C speed; only the functions that fail reach Python code.
    value_of = _VALUE_OF[rule.code]
    functions = file.functions
    failing = list(compress(functions, map(rule.compare, map(value_of, functions), repeat(threshold))))
    if not failing:
        return []
    code, metric, path = rule.code, rule.metric, file.path
    label, limit = _message_parts(rule, threshold)  # once per file and rule, not per function
    return [
        Violation(code, metric, path, func.lineno, func.end_lineno, func.id, value,
                  threshold, label + format_number(value) + limit, severity, column=func.column or 1)
        for func, value in zip(failing, map(value_of, failing), strict=True)
    ]  # fmt: skip


def coverage_violations(
    records: Iterable[FunctionCoverage],
    thresholds_for: Callable[[str], Thresholds],
    warning_rules: Iterable[str] = (),
) -> list[Violation]:
    """QG005 over the functions the coverage file covers (issue 14). Its threshold is read per
    path like every other; None or 0 turns it off (a CRAP score is never below 1)."""
    rule = RULES_BY_CODE["QG005"]
    severity = _severities(frozenset(warning_rules))[rule.code]
    found: list[Violation] = []
    for record in records:
        threshold = thresholds_for(record.path).crap_threshold
        if not threshold or record.crap is None or not rule.fails(record.crap, threshold):
            continue
        label, limit = _message_parts(rule, threshold)
        why = (f" (line coverage {format_number(100 * (record.coverage or 0.0))}%, "
               f"cyclomatic complexity {record.cyclomatic_complexity})")  # fmt: skip
        found.append(Violation(rule.code, rule.metric, record.path, record.line, record.end_line,
                               record.symbol, record.crap, threshold,
                               label + format_number(record.crap) + limit + why, severity,
                               column=record.column))  # fmt: skip
    return found
