"""Where each ``--format`` goes: parse NAME[:PATH], then render every format to stdout or its file."""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple, TextIO

from qualitygate import __version__
from qualitygate.config import Settings
from qualitygate.errors import UsageError
from qualitygate.gate.rules import RULES
from qualitygate.models import GateResult
from qualitygate.outputs import FORMATS, ReportContext, Reporter, View, get_reporter
from qualitygate.store.atomic import atomic_text


class OutputSpec(NamedTuple):
    """One ``--format NAME[:PATH]``: a format and where it goes (None is stdout)."""

    name: str
    path: Path | None = None

    @classmethod
    def parse(cls, text: str) -> OutputSpec:
        """Split ``NAME[:PATH]`` and check the format name."""
        name, _, path = text.partition(":")
        if name not in FORMATS:
            known = ", ".join(sorted(FORMATS))
            raise UsageError(f"--format {text}: unknown format {name!r} (choose from {known})")
        return cls(name, Path(path) if path else None)


# Formats that are one document each: sharing a stream with anything else makes them unreadable.
# text and github are lines a CI log shows as they come, so they may share stdout.
LINE_FORMATS = frozenset({"text", "github"})


def parse_outputs(texts: Sequence[str]) -> list[OutputSpec]:
    """Every ``--format``; two documents aimed at one stream or file is a usage error."""
    outputs = [OutputSpec.parse(text) for text in texts]
    seen: dict[str, str] = {}
    for spec in outputs or [OutputSpec("text")]:
        where = "stdout" if spec.path is None else str(spec.path.resolve())
        other = seen.get(where)
        if other is not None and not (where == "stdout" and {other, spec.name} <= LINE_FORMATS):
            shown = "stdout" if spec.path is None else str(spec.path)
            raise UsageError(
                f"--format {spec.name} and --format {other} both write to {shown}; "
                "give one of them a path (NAME:PATH)"
            )
        seen[where] = spec.name
    return outputs


def _use_color(stream: TextIO, choice: str = "auto") -> bool:
    """--color always/never win over NO_COLOR and FORCE_COLOR (issue 16); auto reads them."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def report_context(settings: Settings, view: View | None = None) -> ReportContext:
    """What reporters need from the run: the version, the rules in force, where links point,
    and how the text format shows it (the ``advice`` key turns advice off like --no-advice)."""
    from qualitygate.outputs.common import action_docs_url, github_blob_url

    thresholds = settings.thresholds
    rules = tuple(r.code for r in RULES if getattr(thresholds, r.setting) is not None)
    view = view or View()
    view = view._replace(advice=view.advice and settings.advice)
    return ReportContext(version=__version__, rules=rules, source_url=github_blob_url(os.environ), view=view,
                         docs_url=action_docs_url(os.environ))  # fmt: skip


def write_outputs(
    result: GateResult,
    outputs: Sequence[OutputSpec],
    stdout: TextIO,
    context: ReportContext | None = None,
) -> None:
    """Render every requested format to stdout or its file."""
    context = context or ReportContext(version=__version__)
    for spec in outputs or [OutputSpec("text")]:
        render = get_reporter(spec.name)
        if spec.path is None:
            _to_stdout(render, result, stdout, context._replace(color=_use_color(stdout, context.view.color)))
            continue
        try:
            spec.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_text(spec.path, devices_in_place=True) as handle:  # a full disk never leaves a cut report
                render(result, handle, context)
        except OSError as exc:
            raise UsageError(f"--format {spec.name}:{spec.path}: cannot write: {exc.strerror or exc}") from None
    _append_step_summary(result, outputs, context)


def _to_stdout(render: Reporter, result: GateResult, stdout: TextIO, context: ReportContext) -> None:
    """A report that cannot be written (``> /dev/full``) is a usage error with a message; a
    reader that went away (``| head``) is not an error at all (the error boundary's concern)."""
    try:
        render(result, stdout, context)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError(f"cannot write the report to standard output: {exc.strerror or exc}") from None


def _append_step_summary(
    result: GateResult, outputs: Sequence[OutputSpec], context: ReportContext
) -> None:
    """With ``--format github`` in Actions, also append the Markdown job summary (issue 3)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target or not any(spec.name == "github" for spec in outputs):
        return
    if any(spec.name == "markdown" and spec.path == Path(target) for spec in outputs):
        return  # already written there
    try:
        with open(target, "a", encoding="utf-8", newline="\n") as handle:
            get_reporter("markdown")(result, handle, context)
    except OSError as exc:  # a side channel: say so, but never fail the gate over it
        sys.stderr.write(
            f"qualitygate: warning: cannot append the job summary to {target}: {exc.strerror}\n"
        )
