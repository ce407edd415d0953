"""Coverage risk (issue 14): a coverage file joined to the measured functions, and QG005 on CRAP.

Coverage is not a property of the source, so it is never part of the metrics (nor their cache):
this stage runs in the gate, after the metrics, and only when ``coverage_file`` is set. A coverage
file that is missing, unreadable, malformed or stale is a warning, never an error: the gate goes on
without coverage.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from qualitygate.config import Settings
from qualitygate.gate.rules import Thresholds, coverage_violations
from qualitygate.models import FileMetrics, FunctionCoverage, Violation


def coverage_stage(
    settings: Settings,
    files: Sequence[FileMetrics],
    thresholds_for: Callable[[str], Thresholds],
    stderr: TextIO,
) -> tuple[tuple[FunctionCoverage, ...], list[Violation]]:
    """Each function's coverage and CRAP score, and the QG005 violations; ``((), [])`` when no
    coverage file is configured (the reader is then never imported)."""
    if not settings.coverage_file:
        if settings.crap_threshold:
            _warn(stderr, "crap_threshold is set but coverage_file is not: QG005 has nothing to check")
        return (), []
    from qualitygate.coverage.join import join_file

    joined = join_file(settings.root / settings.coverage_file, files, settings.root)
    for warning in joined.warnings:
        _warn(stderr, warning)
    return joined.records, coverage_violations(joined.records, thresholds_for, settings.warning_rules)


def _warn(stderr: TextIO, text: str) -> None:
    print(f"qualitygate: warning: {text}", file=stderr)
