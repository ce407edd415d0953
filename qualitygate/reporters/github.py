"""GitHub Actions workflow commands: annotations, worst first, within GitHub's per-step limits."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from qualitygate.models import AnalysisError, GateResult, Severity, Violation
from qualitygate.reporters import ReportContext
from qualitygate.reporters.ci_common import rule_for, worst_first
from qualitygate.reporters.text import summary_line

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


def _plain(v: Violation) -> str:
    # Starts with a word, never with "::", so a strange path cannot turn into a command.
    return f"{v.severity.value}: {v.path}:{v.line}: {v.rule} {_message(v)}"


def _overflow_notice(errors: int, warnings: int) -> str:
    counts = ((errors, "error"), (warnings, "warning"))
    parts = [f"{n} more {kind}{'s' * (n != 1)}" for n, kind in counts if n]
    return command(
        "notice",
        f"{' and '.join(parts)} not annotated: GitHub shows {ANNOTATION_LIMIT} of each per step. "
        "Every one is listed in this step's log above and in the job summary.",
        {"title": "qualitygate: more findings"},
    )


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Annotations for the worst findings, the rest as log lines, the verdict, then a notice."""
    errors = [_error_command(e) for e in result.errors]
    ranked = worst_first(result.violations)
    failing = [v for v in ranked if v.severity is Severity.ERROR]
    warnings = [v for v in ranked if v.severity is Severity.WARNING]
    error_room = max(ANNOTATION_LIMIT - len(errors), 0)
    lines = errors[:ANNOTATION_LIMIT]
    lines += [_violation_command(v) for v in failing[:error_room]]
    lines += [_violation_command(v) for v in warnings[:ANNOTATION_LIMIT]]
    rest = failing[error_room:] + warnings[ANNOTATION_LIMIT:]
    lines += [_plain(v) for v in rest]
    lines += [f"error: {e.path}: {e.message}" for e in result.errors[ANNOTATION_LIMIT:]]
    lines.append(summary_line(result))
    more_errors = len(failing[error_room:]) + max(len(errors) - ANNOTATION_LIMIT, 0)
    more_warnings = len(warnings[ANNOTATION_LIMIT:])
    if more_errors or more_warnings:
        lines.append(_overflow_notice(more_errors, more_warnings))
    stream.write("".join(line + "\n" for line in lines))
