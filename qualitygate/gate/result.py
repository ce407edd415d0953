"""Violations and errors -> a sorted GateResult -> an exit code."""
from __future__ import annotations

import operator
from collections.abc import Callable, Iterable

from qualitygate.errors import EXIT_GATE_FAILED, EXIT_PASS
from qualitygate.models import AnalysisError, FileMetrics, GateResult, Severity, Violation

# Sort order of violations everywhere: path, line, rule, symbol (a C-level key: 2,000 calls).
violation_key: Callable[[Violation], tuple[str, int, str, str]] = operator.attrgetter(
    "path", "line", "rule", "symbol"
)




def worst_first_key(v: Violation, errors_first: bool = True) -> tuple[bool, float, str, int, str]:
    """Errors before warnings (unless ``errors_first`` is False), then the furthest past the
    threshold; ties in report order."""
    return (errors_first and v.severity is not Severity.ERROR, -v.excess, v.path, v.line, v.rule)


def worst_first(violations: Iterable[Violation], *, errors_first: bool = True) -> list[Violation]:
    """``violations`` sorted by ``worst_first_key``: the order of every "worst first" list."""
    return sorted(violations, key=lambda v: worst_first_key(v, errors_first))


_PATH = operator.attrgetter("path")


def build_result(
    files: Iterable[FileMetrics], violations: Iterable[Violation], errors: Iterable[AnalysisError]
) -> GateResult:
    """Sort everything so output is deterministic whatever order the workers finished in."""
    return GateResult(
        files=tuple(sorted(files, key=_PATH)),
        violations=tuple(sorted(violations, key=violation_key)),
        errors=tuple(sorted(errors, key=lambda e: (e.path, e.line or 0, e.message))),
    )


def exit_code(result: GateResult) -> int:
    """0 when the gate passes; 1 for any failing violation or any file that was not analysed."""
    return EXIT_PASS if result.passed else EXIT_GATE_FAILED
