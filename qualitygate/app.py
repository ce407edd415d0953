"""The one place that knows the order of the stages: discover, measure, evaluate, report."""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from qualitygate import __version__
from qualitygate.config import Settings
from qualitygate.discovery import discover, display_path
from qualitygate.errors import UsageError
from qualitygate.gate import build_result, exit_code
from qualitygate.metrics.analyze import MetricOptions
from qualitygate.models import AnalysisError, FileMetrics, GateResult, Violation
from qualitygate.progress import ProgressBar
from qualitygate.reporters import FORMATS, ReportContext, get_reporter
from qualitygate.rules import RULES, Thresholds, evaluate
from qualitygate.runner import default_workers, measure_all


@dataclass(frozen=True)
class OutputSpec:
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


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` with 1 <= K <= N, else a usage error."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise UsageError(f"--shard {text}: expected K/N with 1 <= K <= N, for example 2/4")
    return int(k), int(n)


def metric_options(settings: Settings) -> MetricOptions:
    """The settings that change what is measured."""
    return MetricOptions(
        enable_dependency_analysis=settings.enable_dependency_analysis,
        local_roots=(str(settings.root),),
        max_file_bytes=settings.max_file_bytes,
    )


def measure(
    settings: Settings, paths: Sequence[Path], stderr: TextIO
) -> tuple[list[FileMetrics], list[AnalysisError]]:
    """Discover and measure; errors (unreadable, unparsable) are returned, never raised."""
    found = discover(
        paths or [Path(".")],
        settings.root,
        settings.include,
        settings.exclude,
        settings.respect_gitignore,
    )
    jobs = [(file, display_path(file)) for file in found.files]
    if not jobs and not found.errors:
        shown = " ".join(str(p) for p in paths) or "."
        print(f"qualitygate: warning: no Python files found in {shown}", file=stderr)
    workers = settings.jobs or default_workers()
    bar = ProgressBar(stderr, len(jobs))
    outcomes = measure_all(jobs, metric_options(settings), workers, bar.update if bar.enabled else None)
    bar.close()
    files = [o for o in outcomes if isinstance(o, FileMetrics)]
    errors = [o for o in outcomes if isinstance(o, AnalysisError)] + list(found.errors)
    return files, errors


def gate(settings: Settings, files: Sequence[FileMetrics], errors: Sequence[AnalysisError]) -> GateResult:
    """Apply the thresholds to every file and build the sorted result."""
    thresholds = Thresholds.from_settings(settings)
    violations: list[Violation] = []
    for file in files:
        violations.extend(evaluate(file, thresholds, settings.warning_rules))
    return build_result(files, violations, errors)


def _use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def report_context(settings: Settings) -> ReportContext:
    """What reporters need from the run: the version, the rules in force, where links point."""
    from qualitygate.reporters.ci_common import github_blob_url

    thresholds = Thresholds.from_settings(settings)
    rules = tuple(r.code for r in RULES if getattr(thresholds, r.setting) is not None)
    return ReportContext(version=__version__, rules=rules, source_url=github_blob_url(os.environ))


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
            render(result, stdout, replace(context, color=_use_color(stdout)))
            continue
        try:
            spec.path.parent.mkdir(parents=True, exist_ok=True)
            with open(spec.path, "w", encoding="utf-8", newline="\n") as handle:
                render(result, handle, context)
        except OSError as exc:
            raise UsageError(f"--format {spec.name}:{spec.path}: cannot write: {exc.strerror}") from None
    _append_step_summary(result, outputs, context)


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


@dataclass(frozen=True)
class CheckOptions:
    """Per-run choices of ``check`` that are not configuration keys."""

    diff_ref: str | None = None  # --diff REF: gate only code changed since merge-base (issue 4)
    use_baseline: bool = True  # --no-baseline turns the baseline off (issue 4)
    use_cache: bool = True  # --no-cache (issue 5)
    shard: tuple[int, int] | None = None  # --shard K/N (issue 5)
    suggest: bool | None = None  # --suggest / --no-suggest; None: the config decides (issue 6)


def run_check(
    settings: Settings,
    paths: Sequence[Path],
    outputs: Sequence[OutputSpec],
    options: CheckOptions = CheckOptions(),
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The ``check`` command: measure, gate, report; returns the exit code."""
    # Looked up per call, not bound at import: tests and embedders swap sys.stdout.
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    files, errors = measure(settings, paths, stderr)
    result = gate(settings, files, errors)
    write_outputs(result, outputs, stdout, report_context(settings))
    return exit_code(result)
