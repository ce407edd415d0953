"""GitLab Code Quality report: a JSON array of issues for the merge request widget."""
from __future__ import annotations

import hashlib
import json
from typing import Any, TextIO

from qualitygate.metrics.notebook import Cells, file_lines, notebook_cells
from qualitygate.models import AnalysisError, GateResult, Severity, Violation
from qualitygate.outputs import ReportContext
from qualitygate.outputs.common import fingerprints, repo_path

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


def _issue(v: Violation, fingerprint: str, context: ReportContext, cells: Cells) -> dict[str, Any]:
    where = "" if v.symbol == v.path else f"{v.symbol}: "
    # A notebook's lines are those of its JSON text, where GitLab shows them (issue 15).
    begin, end = file_lines(cells, v.path, v.line, v.end_line)
    return {
        "description": f"{where}{v.message} ({v.rule})",
        "check_name": v.rule,
        "fingerprint": fingerprint,
        "severity": severity(v),
        "location": {"path": repo_path(v.path, context), "lines": {"begin": begin, "end": end}},
    }


def _error_issue(e: AnalysisError, context: ReportContext) -> dict[str, Any]:
    # A file the gate could not read fails it (exit 1): the merge request must show why.
    digest = hashlib.sha256(f"analysis-error\0{e.path}\0{e.message}".encode()).hexdigest()
    return {
        "description": f"could not be analysed: {e.message}",
        "check_name": "analysis-error",
        "fingerprint": digest,
        "severity": "major",
        "location": {"path": repo_path(e.path, context), "lines": {"begin": e.line or 1}},
    }


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """One issue per violation, in report order (path, line, rule), then one per unreadable file.
    Paths are relative to the repository root, where GitLab looks for them (issue 16)."""
    pairs = zip(result.violations, fingerprints(result.violations), strict=True)
    cells = notebook_cells(result.files)
    issues = [_issue(v, fp, context, cells) for v, fp in pairs] + [_error_issue(e, context) for e in result.errors]
    json.dump(issues, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
