"""GitHub Actions workflow commands: annotations, worst first, within GitHub's per-step limits.

The runner reads every line of a step's output as a possible command (``::name props::data`` at
the start of a line, ``##[name]`` anywhere), so no line written here starts one unless it is meant
to: properties and data are escaped as @actions/core escapes them, and every other line is
``paths.one_line`` (control characters spelled ``\\x0d``, a leading ``::`` and ``##[`` defused).
"""
from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stderr
from typing import TextIO, cast

from qualitygate.gate.result import worst_first
from qualitygate.metrics.notebook import Cells, file_lines, notebook_cells
from qualitygate.models import AnalysisError, GateResult, Severity, Violation
from qualitygate.outputs import ReportContext
from qualitygate.outputs.common import repo_path, rule_for
from qualitygate.outputs.text import place, summary_line
from qualitygate.paths import one_line

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


def _violation_command(v: Violation, context: ReportContext, cells: Cells) -> str:
    # GitHub maps ``file`` from the repository root, not the step's working directory (issue 16).
    kind = "warning" if v.severity is Severity.WARNING else "error"
    # A notebook's lines are those of its JSON text, as in SARIF (issue 15).
    line, end = file_lines(cells, v.path, v.line, v.end_line)
    props = {"file": repo_path(v.path, context), "line": line, "endLine": end, "title": _title(v)}
    return command(kind, _message(v), props)


def _error_command(e: AnalysisError, context: ReportContext) -> str:
    props: dict[str, object] = {"file": repo_path(e.path, context)}
    if e.line:
        props["line"] = e.line
    props["title"] = "qualitygate: file not analysed"
    return command("error", e.message, props)


def _plain(v: Violation, cells: Cells) -> str:
    # A log line starts with a word and holds no line break, so no path can start a command.
    return one_line(f"{v.severity.value}: {place(v, cells)}: {v.rule} {_message(v)}")


def _plain_error(e: AnalysisError) -> str:
    where = f"{e.path}:{e.line}" if e.line else e.path
    return one_line(f"error: {where}: {e.message}")


def _findings(result: GateResult, context: ReportContext) -> dict[str, list[tuple[str, str]]]:
    """Per annotation kind, worst first: (workflow command, plain log line) pairs."""
    ranked = worst_first(result.violations)
    cells = notebook_cells(result.files)
    found = [(v.severity, _violation_command(v, context, cells), _plain(v, cells)) for v in ranked]
    errors = [(_error_command(e, context), _plain_error(e)) for e in result.errors]
    errors += [(cmd, line) for severity, cmd, line in found if severity is Severity.ERROR]
    warnings = [(cmd, line) for severity, cmd, line in found if severity is Severity.WARNING]
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
    for kind, found in _findings(result, context).items():
        annotated += [cmd for cmd, _ in found[:ANNOTATION_LIMIT]]
        logged += [line for _, line in found[ANNOTATION_LIMIT:]]
        more[kind] = len(found[ANNOTATION_LIMIT:])
    lines = [*annotated, *logged, summary_line(result)]
    if any(more.values()):
        lines.append(_overflow_notice(more))
    stream.write("".join(line + "\n" for line in lines))


# What qualitygate writes to stderr as a warning: about one file and line (a suppression comment),
# or about the run. Under --format github each becomes a ``::warning`` annotation.
_RUN_WARNING = re.compile(r"qualitygate: warning: (?P<message>.*)", re.DOTALL)
_FILE_WARNING = re.compile(r"(?P<file>.+?):(?P<line>[0-9]+): warning: (?P<message>.*)", re.DOTALL)


def log_line(message: str) -> str:
    """One stderr message as the runner should read it: a warning as a ``::warning`` command with
    escaped properties, anything else as a plain line that starts no command."""
    found = _RUN_WARNING.fullmatch(message)
    if found:
        return command("warning", one_line(found["message"]), {"title": "qualitygate"})
    found = _FILE_WARNING.fullmatch(message)
    if found:
        props = {"file": found["file"], "line": found["line"], "title": "qualitygate"}
        return command("warning", one_line(found["message"]), props)
    return one_line(message)


class LogStream(io.TextIOBase):
    """A stream that writes each message (what is written up to a newline) as one line, made by
    ``line``: a line break inside a message is spelled, never written."""

    def __init__(self, stream: TextIO, line: Callable[[str], str]) -> None:
        super().__init__()
        self._stream = stream
        self._line = line
        self._pending: list[str] = []

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False  # a log: no progress bar, which redraws itself with carriage returns

    def write(self, text: str) -> int:
        """Hold ``text`` until the message ends with a newline, then write it as one line."""
        if not text.endswith("\n"):
            self._pending.append(text)
            return len(text)
        self._pending.append(text[:-1])
        message = "".join(self._pending)
        self._pending.clear()
        self._stream.write(self._line(message) + "\n")
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        """Write a message left without its newline; the stream underneath stays open, and one
        that cannot be written any more (a closed pipe, a full disk) has nothing more to say."""
        try:
            if self._pending:
                self.write("\n")
        except (OSError, ValueError):
            pass


@contextmanager
def log_stderr(commands: bool) -> Iterator[None]:
    """While the block runs, stderr as a CI log: every message on one line that starts no
    workflow command, and with ``commands`` (--format github) every warning a ``::warning``
    command. A terminal is left alone unless ``commands``: no CI reads it, and it has a bar."""
    stream = sys.stderr
    if stream is None or (not commands and _is_terminal(stream)):
        yield
        return
    log = LogStream(stream, log_line if commands else one_line)
    try:
        with redirect_stderr(cast(TextIO, log)):
            yield
    finally:
        log.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a stand-in without isatty, or a closed stream
        return False
