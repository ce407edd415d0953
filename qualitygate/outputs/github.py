"""GitHub Actions workflow commands: annotations, worst first, within GitHub's per-step limits."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from qualitygate.gate.result import worst_first
from qualitygate.models import AnalysisError, GateResult, Severity, Violation
from qualitygate.outputs import ReportContext
from qualitygate.outputs.common import rule_for
from qualitygate.outputs.text import summary_line

# GitHub keeps 10 error and 10 warning annotations per step and drops the rest (docs:
# "Workflow commands for GitHub Actions", annotation limits).
ANNOTATION_LIMIT = 10


def escape_data(text: str) -> str:
    """Escape a command's message, as @actions/core's ``escapeData`` does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value, as @actions/core's ``escapeProperty`` does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, properties: Mapping[str, object] | None = None) -> str:
    """``::kind key=value,...::message`` with every part escaped."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in (properties or {}).items())
    return f"::{kind}{' ' + props if props else ''}::{escape_data(message)}"


def _title(v: Violation) -> str:
    rule = rule_for(v.rule)
    return f"{v.rule} {rule.name}" if rule else v.rule


def _message(v: Violation) -> str:
    return v.message if v.symbol == v.path else f"{v.symbol}: {v.message}"


def _violation_command(v: Violation) -> str:
    kind = "warning" if v.severity is Severity.WARNING else "error"
    props = {"file": v.path, "line": v.line, "endLine": v.end_line, "title": _title(v)}
    return command(kind, _message(v), props)


def _error_command(e: AnalysisError) -> str:
    props: dict[str, object] = {"file": e.path}
    if e.line:
        props["line"] = e.line
    props["title"] = "qualitygate: file not analysed"
    return command("error", e.message, props)


def _one_line(text: str) -> str:
    # A log line starts with a word and holds no line break, so no path can start a command.
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _plain(v: Violation) -> str:
    return _one_line(f"{v.severity.value}: {v.path}:{v.line}: {v.rule} {_message(v)}")


def _plain_error(e: AnalysisError) -> str:
    where = f"{e.path}:{e.line}" if e.line else e.path
    return _one_line(f"error: {where}: {e.message}")


def _findings(result: GateResult) -> dict[str, list[tuple[str, str]]]:
    """Per annotation kind, worst first: (workflow command, plain log line) pairs."""
    ranked = worst_first(result.violations)
    errors = [(_error_command(e), _plain_error(e)) for e in result.errors]
    errors += [(_violation_command(v), _plain(v)) for v in ranked if v.severity is Severity.ERROR]
    warnings = [(_violation_command(v), _plain(v)) for v in ranked if v.severity is Severity.WARNING]
    return {"error": errors, "warning": warnings}


def _overflow_notice(more: dict[str, int]) -> str:
    parts = [f"{n} more {kind}{'s' * (n != 1)}" for kind, n in more.items() if n]
    return command(
        "notice",
        f"{' and '.join(parts)} not annotated: GitHub shows {ANNOTATION_LIMIT} of each per step. "
        "Every one is listed in this step's log above and in the job summary.",
        {"title": "qualitygate: more findings"},
    )


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Annotations for the worst findings, the rest as log lines, the verdict, then a notice."""
    annotated: list[str] = []
    logged: list[str] = []
    more: dict[str, int] = {}
    for kind, found in _findings(result).items():
        annotated += [cmd for cmd, _ in found[:ANNOTATION_LIMIT]]
        logged += [line for _, line in found[ANNOTATION_LIMIT:]]
        more[kind] = len(found[ANNOTATION_LIMIT:])
    lines = [*annotated, *logged, summary_line(result)]
    if any(more.values()):
        lines.append(_overflow_notice(more))
    stream.write("".join(line + "\n" for line in lines))
