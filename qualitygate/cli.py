"""click commands only: turn options into typed values, call the app, return an exit code."""
from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qualitygate import __version__
from qualitygate.arguments import check_combinations, load, parse_shard, stdin_source
from qualitygate.arguments import globs as _globs
from qualitygate.errors import (
    EXIT_GATE_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    QualityGateError,
    Terminated,
    UsageError,
)
from qualitygate.gate.rules import (
    DEFAULT_COGNITIVE_COMPLEXITY,
    DEFAULT_COMPLEXITY,
    DEFAULT_MAINTAINABILITY,
)
from qualitygate.outputs import FORMATS
from qualitygate.paths import one_line

if TYPE_CHECKING:
    from qualitygate.outputs.write import OutputSpec

PRE_COMMIT = "--pre-commit"  # the hook's flag: file names only after '--' (hook_problem)
CONFIG_HELP = "Read settings from this TOML file instead of the nearest pyproject.toml."
FORMAT_HELP = f"Output format ({', '.join(sorted(FORMATS))}), repeatable; no PATH means stdout. Default: text."


class _Finite(click.ParamType):
    """A float that is not nan or infinite (a nan threshold would switch its rule off)."""

    name = "number"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


FINITE = _Finite()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qualitygate")
def main() -> None:
    """qualitygate: a code-quality gate for Python."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--threshold", type=FINITE, help=f"Minimum file maintainability index (default {DEFAULT_MAINTAINABILITY:g}).")
@click.option("--complexity-threshold", type=click.IntRange(min=0), help=f"Maximum cyclomatic complexity per function (default {DEFAULT_COMPLEXITY}).")
@click.option("--cognitive-threshold", type=click.IntRange(min=0), help=f"Maximum cognitive complexity per function (default {DEFAULT_COGNITIVE_COMPLEXITY}).")
@click.option("--function-maintainability-threshold", type=FINITE, help="Minimum maintainability index per function (off by default).")
@click.option("--coverage-file", type=click.Path(path_type=Path, dir_okay=False), help="Cobertura XML or coverage.py JSON: report line coverage and CRAP per function.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), help="Worker processes (0: one per CPU).")
@click.option("--exclude", "exclude", multiple=True, metavar="GLOB", help="Skip files matching GLOB, repeatable; replaces the config's exclude.")
@click.option("--extend-exclude", "extend_exclude", multiple=True, metavar="GLOB", help="Skip files matching GLOB too, repeatable; adds to exclude.")
@click.option("-f", "--format", "formats", multiple=True, metavar="NAME[:PATH]", help=FORMAT_HELP)
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help=CONFIG_HELP)
@click.option("--diff", "diff_ref", metavar="REF", help="Gate only functions and files changed since the merge-base with REF.")
@click.option("--diff-policy", type=click.Choice(["new-code", "touched"]), default="new-code", show_default=True,
              help="With --diff: new-code passes an offender that failed at the merge-base and got no worse; touched fails every changed offender.")
@click.option("--fail-on-worse", is_flag=True, help="With --diff: also fail a changed function that got worse than at the merge-base, even under its threshold.")
@click.option("--worse-tolerance", type=click.FloatRange(min=0), default=0.0, help="How much worse --fail-on-worse allows (default 0).")
@click.option("--no-baseline", is_flag=True, help="Ignore the baseline file even if it exists.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the metrics cache.")
@click.option("--shard", metavar="K/N", help="Analyse only the K-th of N stable slices of the files (1-based).")
@click.option("--suggest/--no-suggest", default=None, help="Add AI-written, verified improvement suggestions (needs [tool.qualitygate.ai]).")
@click.option(PRE_COMMIT, "from_pre_commit", is_flag=True, help="Run as the pre-commit hook: file names come only after '--', never read as options.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when the gate fails on violations or unanalysed files (usage and internal errors keep 2 and 3).")
@click.option("-q", "--quiet", count=True, help="Text output: only the summary line; -qq: nothing.")
@click.option("--statistics", is_flag=True, help="Text output: a count per rule instead of one line per violation.")
@click.option("--no-advice", is_flag=True, help="Text output: no suggestion lines (config: advice = false).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True, help="Colour the text output; auto reads NO_COLOR, FORCE_COLOR and the terminal.")
@click.option("--stdin-filename", type=click.Path(path_type=Path), metavar="PATH", help="With '-' as the path: the source on standard input stands for PATH (reports, settings).")
def check(
    paths: tuple[Path, ...],
    threshold: float | None,
    complexity_threshold: int | None,
    cognitive_threshold: int | None,
    function_maintainability_threshold: float | None,
    coverage_file: Path | None,
    jobs: int | None,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    formats: tuple[str, ...],
    config: Path | None,
    diff_ref: str | None,
    diff_policy: str,
    fail_on_worse: bool,
    worse_tolerance: float,
    no_baseline: bool,
    no_cache: bool,
    shard: str | None,
    suggest: bool | None,
    from_pre_commit: bool,
    exit_zero: bool,
    quiet: int,
    statistics: bool,
    no_advice: bool,
    color: str,
    stdin_filename: Path | None,
) -> None:
    """Measure PATHS (default: the current folder; '-': standard input) and gate them on the thresholds."""
    source = None if from_pre_commit else stdin_source(paths, stdin_filename)  # hook names are files
    check_combinations(source is not None, diff_ref, shard, fail_on_worse)
    settings = load(
        config,
        [source.path] if source else paths,
        maintainability_threshold=threshold,
        complexity_threshold=complexity_threshold,
        cognitive_complexity_threshold=cognitive_threshold,
        function_maintainability_threshold=function_maintainability_threshold,
        coverage_file=os.path.abspath(coverage_file) if coverage_file else None,  # from here, not the root
        jobs=jobs,
    ).with_excludes(_globs("--exclude", exclude), _globs("--extend-exclude", extend_exclude))
    from qualitygate.outputs import View
    from qualitygate.outputs.write import parse_outputs
    from qualitygate.pipeline import CheckOptions, run_check

    outputs = parse_outputs(formats)
    options = CheckOptions(
        diff_ref=diff_ref,
        use_baseline=not no_baseline,
        use_cache=not no_cache,
        shard=parse_shard(shard) if shard else None,
        suggest=suggest,
        diff_policy=diff_policy,
        fail_on_worse=fail_on_worse,
        worse_tolerance=worse_tolerance,
        view=View(quiet=quiet, statistics=statistics, advice=not no_advice, color=color),
        stdin=source,
        hook=from_pre_commit,
    )
    with _log_stderr(outputs):
        code = run_check(settings, paths, outputs, options)
    # Like ruff's --exit-zero: a failed gate exits 0; a usage (2) or internal (3) error still fails.
    raise SystemExit(0 if exit_zero and code == EXIT_GATE_FAILED else code)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Only drop fixed offenders and lower improved values; add no new ones.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), help="Worker processes (0: one per CPU).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help=CONFIG_HELP)
def baseline(paths: tuple[Path, ...], prune: bool, jobs: int | None, config: Path | None) -> None:
    """Record today's offenders in PATHS, so that check fails only on new or worse ones."""
    settings = load(config, paths, jobs=jobs)
    from qualitygate.pipeline import run_baseline

    with _log_stderr(()):
        code = run_baseline(settings, paths, prune)
    raise SystemExit(code)


@main.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("-f", "--format", "formats", multiple=True, metavar="NAME[:PATH]", help=FORMAT_HELP)
@click.option("--expect", type=click.IntRange(min=1), help="Fail with exit 2 unless exactly this many reports are given (one per shard).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help=CONFIG_HELP)
def merge(reports: tuple[Path, ...], formats: tuple[str, ...], expect: int | None, config: Path | None) -> None:
    """Combine the JSON reports of ``check --shard K/N`` jobs into one verdict."""
    from qualitygate.outputs.write import parse_outputs
    from qualitygate.pipeline import run_merge

    if expect is not None and len(reports) != expect:
        raise UsageError(f"merge --expect {expect}: got {len(reports)} reports; is a shard missing?")
    settings = load(config, [])
    outputs = parse_outputs(formats)
    with _log_stderr(outputs):
        code = run_merge(settings, reports, outputs)
    raise SystemExit(code)


@main.command()
@click.option("--days", type=click.IntRange(min=0), help="Only runs of the last N days (default: history_retention_days; 0: every run).")
@click.option("--path", "file", type=click.Path(path_type=Path), help="Also show the trend of this one file.")
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True, help="How many most-worsened functions to list.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help=CONFIG_HELP)
def history(days: int | None, file: Path | None, top: int, fmt: str, config: Path | None) -> None:
    """List the recorded runs and the trend of each metric (needs track_history = true)."""
    from qualitygate.pipeline import run_history

    settings = load(config, [])
    raise SystemExit(run_history(settings, days, file, top, fmt))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("qualitygate-report"), show_default=True, help="Where to write the HTML, JSON and Markdown files.")
@click.option("--days", type=click.IntRange(min=0), help="History window for the trend charts (default: history_retention_days; 0: every run).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the metrics cache.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help=CONFIG_HELP)
def report(paths: tuple[Path, ...], output_dir: Path, days: int | None, no_cache: bool, config: Path | None) -> None:
    """Write an HTML report with trends, its data as JSON, and Markdown docs per module."""
    from qualitygate.pipeline import run_report

    settings = load(config, paths)
    with _log_stderr(()):
        code = run_report(settings, paths, output_dir, days=days, use_cache=not no_cache)
    raise SystemExit(code)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--apply", "apply_", is_flag=True, help="Rewrite the files with the verified rewrites instead of printing the patch.")
@click.option("--apply-unverified", is_flag=True, help="With or instead of --apply: also write rewrites whose behaviour was not checked.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the patch to this file instead of stdout.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the metrics cache or the AI answer cache.")
@click.option("--no-extract", is_flag=True, help="Only AI rewrites: no deterministic extract-function patches.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help=CONFIG_HELP)
def suggest(paths: tuple[Path, ...], apply_: bool, apply_unverified: bool, output: Path | None, no_cache: bool,
            no_extract: bool, config: Path | None) -> None:  # fmt: skip
    """Print the extractions and AI rewrites for PATHS as a patch for `git apply`, or apply the verified ones."""
    from qualitygate.pipeline import run_suggest

    settings = load(config, paths)
    with _log_stderr(()):
        code = run_suggest(settings, paths, apply=apply_, output=output, use_cache=not no_cache,
                           apply_unverified=apply_unverified, extract=not no_extract)  # fmt: skip
    raise SystemExit(code)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--days", type=click.IntRange(min=0), default=180, show_default=True, help="Count the commits of the last N days (0: the whole history).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="How many hotspots to list.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-j", "--jobs", type=click.IntRange(min=0), help="Worker processes (0: one per CPU).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the metrics cache or the history cache.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help=CONFIG_HELP)
def hotspots(paths: tuple[Path, ...], days: int, top: int, fmt: str, jobs: int | None, no_cache: bool, config: Path | None) -> None:
    """Rank the functions in PATHS by commits in the window × cognitive complexity (needs git)."""
    from qualitygate.churn.command import HotspotOptions
    from qualitygate.pipeline import run_hotspots

    settings = load(config, paths, jobs=jobs)
    with _log_stderr(()):
        code = run_hotspots(settings, paths, HotspotOptions(days, top, fmt, not no_cache))
    raise SystemExit(code)


@main.command()
@click.argument("body_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--provider", type=click.Choice(["auto", "github", "gitlab"]), default="auto", show_default=True, help="Where to post; auto reads GITHUB_ACTIONS or GITLAB_CI.")
@click.option("--token-env", metavar="NAME", help="Read the API token from this variable (default: GITHUB_TOKEN, or QUALITYGATE_GITLAB_TOKEN).")
@click.option("--timeout", type=click.IntRange(min=1, max=3600), default=30, show_default=True, help="Seconds for every request in all; then a warning.")
def comment(body_file: Path, provider: str, token_env: str | None, timeout: int) -> None:
    """Post BODY_FILE (from --format pr-comment) as the one PR or MR comment, updated on each push.

    Exit 0 even when it cannot be posted: that is a warning, never a failed job."""
    from qualitygate.publish import CommentOptions, outcome_line, post_comment, read_body

    body = read_body(body_file)
    outcome = post_comment(body, CommentOptions(provider, token_env, timeout), os.environ)
    click.echo(outcome_line(outcome, github_actions=os.environ.get("GITHUB_ACTIONS") == "true"), err=True)
    raise SystemExit(0)


def _log_stderr(outputs: Sequence[OutputSpec]) -> AbstractContextManager[None]:
    """Every message on stderr as one line that starts no workflow command, and with
    ``--format github`` each warning a ``::warning`` command (issue 12)."""
    from qualitygate.outputs.github import log_stderr

    return log_stderr(commands=any(spec.name == "github" for spec in outputs))



def hook_problem(argv: Sequence[str]) -> str | None:
    """With --pre-commit, what would let a file name be read as an option, else None.

    pre-commit appends the staged file names after the hook's args, and a file may be named
    ``--config=evil.toml`` (issue 12). The hook's args end with ``--``, so every name comes after
    it; and an option before ``--`` that is also a file here is refused, in case a hand-written
    args list lost its ``--`` and a file named ``--`` stands in for it.
    """
    end = argv.index("--") if "--" in argv else len(argv)
    if PRE_COMMIT not in argv[:end]:
        return None
    if end == len(argv):
        return ("the pre-commit hook's args must end with '--', after which pre-commit adds the "
                'file names: for example args: [--complexity-threshold, "12", --]')  # fmt: skip
    clash = next((arg for arg in argv[:end] if arg.startswith("-") and os.path.lexists(arg)), None)
    if clash is not None:
        return f"{clash!r} is a file here and would be read as an option; rename it, or end the hook's args with '--'"
    return None


def _interrupted(cause: BaseException | None) -> int:
    """Exit 143 after SIGTERM, 130 after Ctrl-C; the workers are stopped by then."""
    if isinstance(cause, Terminated):
        click.echo("Terminated.", err=True)
        return EXIT_TERMINATED
    click.echo("Interrupted.", err=True)
    return EXIT_INTERRUPTED


def run(argv: Sequence[str]) -> int:
    """The command line's exit code; the hook's file names are checked before any is parsed."""
    problem = hook_problem(argv)
    if problem is not None:
        click.echo(f"qualitygate: error: {one_line(problem)}", err=True)
        return EXIT_USAGE
    return _guarded(argv)


def _guarded(argv: Sequence[str]) -> int:
    """The one error boundary: map every outcome to an exit code, never a traceback."""
    try:
        code = main.main(args=list(argv), prog_name="qualitygate", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    except click.exceptions.Abort as exc:  # click's wrapping of KeyboardInterrupt and Terminated
        return _interrupted(exc.__cause__)
    except click.ClickException as exc:
        _one_line_message(exc).show()
        return EXIT_USAGE
    except QualityGateError as exc:
        click.echo(f"qualitygate: error: {one_line(str(exc))}", err=True)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: say what broke, ask for a report
        click.echo(
            f"qualitygate: internal error: {type(exc).__name__}: {one_line(str(exc))}\n"
            "Please report it to the qualitygate maintainers (qualitygate-cli on PyPI) "
            "with the command you ran.",
            err=True,
        )
        return EXIT_INTERNAL
    return code if isinstance(code, int) else 0


def _one_line_message(exc: click.ClickException) -> click.ClickException:
    """click's error with what it quotes from the command line (an option, a path) on one line
    that starts no workflow command: a file name may hold a line break (issue 12)."""
    exc.message = one_line(exc.message)
    if isinstance(exc, click.FileError):
        exc.ui_filename = one_line(exc.ui_filename)
    return exc
