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


def _set(value: object) -> bool:
    return value is not None and value is not False  # 0 is a threshold; False is "off"


def report_context(settings: Settings, view: View | None = None) -> ReportContext:
    """What reporters need from the run: the version, the rules in force, where links point,
    and how the text format shows it (the ``advice`` key turns advice off like --no-advice)."""
    from qualitygate.outputs.common import action_docs_url

    thresholds = settings.thresholds
    # A rule is in force when its threshold is set: a number, or true for forbid_import_cycles.
    rules = tuple(r.code for r in RULES if _set(getattr(thresholds, r.setting)))
    view = view or View()
    view = view._replace(advice=view.advice and settings.advice)
    source_url, prefix, repo_root = _repository(settings.root)
    return ReportContext(version=__version__, rules=rules, source_url=source_url, view=view,
                         docs_url=action_docs_url(os.environ), path_prefix=prefix,
                         repo_root=repo_root)  # fmt: skip


def _repository(project_root: Path) -> tuple[str, str, str]:
    """The blob URL links start from, the working directory below the repository root, and that
    root ("" when unknown). Issue 16: CI formats name files from the repository root (git's top
    level, else the project root), so a job with ``working-directory: src`` still maps its alerts."""
    from qualitygate.outputs.common import below, git_top, github_blob_url

    cwd = Path.cwd()
    top = git_top(cwd)
    root = top or project_root
    prefix = below(cwd, root)
    # A blob URL joins the repository path to the commit: with a git top level that is all it
    # needs; without one the workspace tells how far below it the project root lies.
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_WORKSPACE"} if top else os.environ
    source_url = github_blob_url(env, root if prefix else cwd)
    return source_url, prefix, os.path.realpath(root) if prefix or top else ""


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
