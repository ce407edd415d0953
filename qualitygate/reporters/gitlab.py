"""GitLab Code Quality report: a JSON array of issues for the merge request widget."""
from __future__ import annotations

import json
from typing import Any, TextIO

from qualitygate.models import GateResult, Severity, Violation
from qualitygate.reporters import ReportContext
from qualitygate.reporters.ci_common import fingerprints

# GitLab's severities, mildest first; a violation's place on this scale grows with how far past
# its threshold it is (Violation.excess), and a rule configured as a warning sits one step lower.
SEVERITIES = ("info", "minor", "major", "critical", "blocker")
_STEPS = (0.25, 0.5, 1.0)  # excess up to 25% is minor, up to 50% major, up to 100% critical


def severity(v: Violation) -> str:
    """Scale by how far past the threshold: minor, major, critical, blocker (warnings: one less)."""
    level = 1 + sum(v.excess > step for step in _STEPS)
    if v.severity is Severity.WARNING:
        level -= 1
    return SEVERITIES[level]


def _issue(v: Violation, fingerprint: str) -> dict[str, Any]:
    where = "" if v.symbol == v.path else f"{v.symbol}: "
    return {
        "description": f"{where}{v.message} ({v.rule})",
        "check_name": v.rule,
        "fingerprint": fingerprint,
        "severity": severity(v),
        "location": {"path": v.path, "lines": {"begin": v.line, "end": max(v.end_line, v.line)}},
    }


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """One issue per violation, in report order (path, line, rule)."""
    issues = [_issue(v, fp) for v, fp in zip(result.violations, fingerprints(result.violations), strict=True)]
    json.dump(issues, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
