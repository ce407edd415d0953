"""The one place that knows the order of the stages: discover, measure, evaluate, report."""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from qualitygate.config import Settings, metric_options
from qualitygate.coverage import coverage_stage
from qualitygate.gate.coupling import coupling_stage
from qualitygate.gate.result import build_result, exit_code
from qualitygate.gate.rules import RULES, WORSE_RULE, evaluate
from qualitygate.gate.suppressions import apply as apply_suppressions
from qualitygate.gate.suppressions import unused as unused_suppressions
from qualitygate.gate.suppressions import warnings as suppression_warnings
from qualitygate.gate.thresholds import PathThresholds
from qualitygate.measure import StdinSource, Workers, measure, measure_stdin
from qualitygate.models import AnalysisError, FileMetrics, GateResult, Violation
from qualitygate.outputs import View
from qualitygate.outputs.write import OutputSpec, report_context, write_outputs
from qualitygate.paths import display_path

if TYPE_CHECKING:
    # Loaded where they are used: a warm run without a baseline file or --diff never needs the
    # baseline or git code, nor the suggestions stage without violations (issue 5).
    from qualitygate.churn.command import HotspotOptions
    from qualitygate.gate.base import BaseSide
    from qualitygate.gate.baseline import Baseline
    from qualitygate.gate.delta import DeltaOptions
    from qualitygate.gate.diff import ChangedCode
    from qualitygate.suggestions.breakdowns import Mapper
    from qualitygate.suggestions.pipeline import SuggestContext


def gate(
    settings: Settings,
    files: Sequence[FileMetrics],
    errors: Sequence[AnalysisError],
    *,
    changed: ChangedCode | None = None,
    baseline: Baseline | None = None,
    base: tuple[BaseSide, DeltaOptions] | None = None,
    stderr: TextIO | None = None,
    whole: bool = True,
) -> GateResult:
    """Thresholds (with per-path overrides), then inline suppressions, --diff (with the merge-base's
    metrics when given: issue 14) and the baseline. Only a ``whole`` run (not a --shard, which
    holds a part of the files) builds the import graph; ``merge`` builds it from every shard."""
    thresholds = PathThresholds(settings.thresholds, settings.overrides, settings.root)
    violations: list[Violation] = []
    for file in files:
        violations.extend(evaluate(file, thresholds.for_path(file.path), settings.warning_rules))
    coverage, crap = coverage_stage(settings, files, thresholds.for_path, stderr or sys.stderr)  # issue 14
    graph, cycles = coupling_stage(settings, files, thresholds.for_path) if whole else (None, [])  # issue 15
    honor = settings.honor_noqa
    result = build_result(files, violations + crap + cycles, errors)
    result = apply_suppressions(replace(result, coverage=coverage, coupling=graph), honor)
    if changed is not None:
        from qualitygate.gate.diff import apply as apply_diff

        result = apply_diff(result, changed)
        if base is not None:
            from qualitygate.gate.delta import apply as apply_delta

            # Suppressions again: --fail-on-worse adds findings an ignore comment may cover.
            result = apply_suppressions(apply_delta(result, changed, base[0], thresholds.for_path, base[1]), honor)
    if baseline is not None:
        from qualitygate.gate.baseline import apply as apply_baseline

        result = apply_baseline(result, baseline, settings.root)
    return result


def _base_side(settings: Settings, changed: ChangedCode, files: Sequence[FileMetrics], options: CheckOptions,
               stderr: TextIO) -> tuple[BaseSide, DeltaOptions]:  # fmt: skip
    """The merge-base's metrics of the changed files (issue 14), cached like any file's."""
    from qualitygate.gate.base import measure_cached
    from qualitygate.gate.delta import DeltaOptions

    side = measure_cached(changed, files, metric_options(settings), settings.root, options.use_cache,
                          lambda text: print(f"qualitygate: warning: {text}", file=stderr))  # fmt: skip
    return side, DeltaOptions(options.diff_policy, options.fail_on_worse, options.worse_tolerance)


def adoption_inputs(settings: Settings, options: CheckOptions) -> tuple[ChangedCode | None, Baseline | None]:
    """What --diff and the baseline file say, read before measuring so a bad REF fails fast."""
    changed = None
    if options.diff_ref:
        from qualitygate.gate.diff import changed_code

        changed = changed_code(options.diff_ref, settings.root)
    recorded = None
    target = settings.root / settings.baseline  # baseline.baseline_path, before importing it
    if options.use_baseline and _may_exist(target):
        from qualitygate.gate.baseline import load as load_baseline

        recorded = load_baseline(target)
    return changed, recorded


def _may_exist(path: Path) -> bool:
    """False only when nothing is there: a loop or a permission problem is for ``load`` to report."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    except OSError:
        pass
    return True


def run_baseline(
    settings: Settings,
    paths: Sequence[Path],
    prune: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The ``baseline`` command: measure, gate without a baseline, record today's offenders."""
    from qualitygate.gate.baseline import BaselineError, baseline_path
    from qualitygate.gate.baseline import describe as describe_baseline
    from qualitygate.gate.baseline import load as load_baseline
    from qualitygate.gate.baseline import update as update_baseline
    from qualitygate.gate.baseline import write as write_baseline

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    target = baseline_path(settings.root, settings.baseline)
    try:
        old = load_baseline(target)
    except BaselineError as exc:
        if prune:
            raise
        print(f"qualitygate: warning: {exc}; recording a new one", file=stderr)
        old = None
    files, errors = measure(settings, paths, stderr)
    _warn_suppressions(files, stderr)
    result = gate(settings, files, errors, stderr=stderr)
    new = update_baseline(old, result, settings.root, prune)
    write_baseline(target, new)
    for error in result.errors:
        print(f"qualitygate: warning: {error.path}: not analysed ({error.message}); "
              "its entries are kept as they were", file=stderr)  # fmt: skip
    print(f"qualitygate: baseline {display_path(target)}: {describe_baseline(old, new)}", file=stdout)
    return 0


def _warn_suppressions(files: Sequence[FileMetrics], stderr: TextIO) -> None:
    for line in suppression_warnings(files):
        print(line, file=stderr)


class CheckOptions(NamedTuple):
    """Per-run choices of ``check`` that are not configuration keys."""

    diff_ref: str | None = None  # --diff REF: gate only code changed since merge-base (issue 4)
    use_baseline: bool = True  # --no-baseline turns the baseline off (issue 4)
    use_cache: bool = True  # --no-cache (issue 5)
    shard: tuple[int, int] | None = None  # --shard K/N (issue 5)
    suggest: bool | None = None  # --suggest / --no-suggest; None: the config decides (issue 6)
    diff_policy: str = "new-code"  # --diff-policy: new-code or touched (issue 14)
    fail_on_worse: bool = False  # --fail-on-worse (issue 14)
    worse_tolerance: float = 0.0  # --worse-tolerance (issue 14)
    view: View = View()  # -q, --statistics, --no-advice, --color: the text output (issue 16)
    stdin: StdinSource | None = None  # ``check -``: measure this source instead of files (issue 16)
    # --pre-commit: the staged files only, so no import graph (QG008 would flap with the list).
    hook: bool = False


DEFAULT_CHECK = CheckOptions()


def run_check(
    settings: Settings,
    paths: Sequence[Path],
    outputs: Sequence[OutputSpec],
    options: CheckOptions = DEFAULT_CHECK,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The ``check`` command: measure, gate, report; returns the exit code."""
    # Looked up per call, not bound at import: tests and embedders swap sys.stdout.
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    changed, recorded = adoption_inputs(settings, options)
    with Workers() as workers:  # the measuring pool, kept for the advice's breakdowns
        files, errors = _check_measure(settings, paths, options, stderr, workers)
        _warn_suppressions(files, stderr)
        base = _base_side(settings, changed, files, options, stderr) if changed is not None else None
        result = gate(settings, files, errors, changed=changed, baseline=recorded, base=base, stderr=stderr,
                      whole=options.shard is None and options.stdin is None and not options.hook)  # fmt: skip
        _warn_unused(settings, result, options, stderr)
        result = add_suggestions(settings, result, options, stderr, workers.map)
    write_outputs(result, outputs, stdout, report_context(settings, options.view))
    if settings.track_history and options.shard is None and options.stdin is None:  # not the whole project
        record_history(settings, result, stderr)
    return exit_code(result)


def _check_measure(
    settings: Settings, paths: Sequence[Path], options: CheckOptions, stderr: TextIO, workers: Workers
) -> tuple[list[FileMetrics], list[AnalysisError]]:
    """``check``'s files or standard input, measured; the pool stays in ``workers`` for the advice
    (but not through the minutes an AI run may wait on the network)."""
    if options.stdin is not None:
        return measure_stdin(settings, options.stdin)
    kept = None if _uses_ai(settings, options) else workers
    return measure(settings, paths, stderr, use_cache=options.use_cache, shard=options.shard, workers=kept)


def _warn_unused(settings: Settings, result: GateResult, options: CheckOptions, stderr: TextIO) -> None:
    """``# qualitygate:`` comments that suppress nothing any more (issue 16), judged only on the
    rules this run checked: a threshold set in the config or an override, QG005 with a coverage
    file, QG010 with --fail-on-worse."""
    set_keys = {key for override in settings.overrides for key, _ in override.values}
    checked = {rule.code for rule in RULES
               if getattr(settings.thresholds, rule.setting, None) or rule.setting in set_keys}  # fmt: skip
    if not settings.coverage_file:
        checked.discard("QG005")
    if options.fail_on_worse and options.diff_ref:
        checked.add(WORSE_RULE)
    for line in unused_suppressions(result.files, result.suppressed, frozenset(checked)):
        print(line, file=stderr)


def _suggest_context(settings: Settings, use_cache: bool, mapper: Mapper = map) -> SuggestContext:
    from qualitygate.suggestions.pipeline import SuggestContext

    thresholds = PathThresholds(settings.thresholds, settings.overrides, settings.root)
    return SuggestContext(settings, thresholds.for_path, os.environ, use_cache, mapper=mapper)


def _uses_ai(settings: Settings, options: CheckOptions) -> bool:
    """--suggest / --no-suggest, else the ``suggest`` key."""
    return settings.suggest if options.suggest is None else options.suggest


def add_suggestions(
    settings: Settings, result: GateResult, options: CheckOptions, stderr: TextIO, mapper: Mapper = map
) -> GateResult:
    """Advice after the verdict (issue 6): rule-based always, AI on request; the verdict stays.
    ``mapper`` computes the worst offenders' breakdowns (the measuring pool's map, in ``check``)."""
    if not result.violations:
        return result
    from qualitygate.suggestions.pipeline import check_suggestions

    use_ai = _uses_ai(settings, options)
    context = _suggest_context(settings, options.use_cache, mapper)
    return replace(result, suggestions=check_suggestions(result, context, use_ai, stderr))


def run_suggest(
    settings: Settings,
    paths: Sequence[Path],
    *,
    apply: bool = False,
    output: Path | None = None,
    use_cache: bool = True,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    apply_unverified: bool = False,
    extract: bool = True,
) -> int:
    """The ``suggest`` command: measure and gate, then write or apply the extractions (issue 13) and
    the AI rewrites."""
    from qualitygate.suggestions.command import run_suggest as suggest

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    result = _measured_and_gated(settings, paths, stderr, use_cache)
    context = _suggest_context(settings, use_cache)
    return suggest(result, context, apply, output, (stdout, stderr), apply_unverified, extract)


def _measured_and_gated(
    settings: Settings, paths: Sequence[Path], stderr: TextIO, use_cache: bool
) -> GateResult:
    """The common start of ``suggest`` and ``report``: measure, then gate (no baseline, no diff)."""
    files, errors = measure(settings, paths, stderr, use_cache=use_cache)
    return gate(settings, files, errors, stderr=stderr)


def run_hotspots(settings: Settings, paths: Sequence[Path], options: HotspotOptions) -> int:
    """The ``hotspots`` command (issue 14): find the repository, measure and gate, rank, print."""
    from qualitygate.churn.command import run_hotspots as hotspots

    measured = lambda: _measured_and_gated(settings, paths, sys.stderr, options.use_cache)  # noqa: E731
    return hotspots(settings, options, measured, (sys.stdout, sys.stderr))


def record_history(settings: Settings, result: GateResult, stderr: TextIO) -> None:
    """With ``track_history``, record the run (issue 5); a failure warns, the verdict stands."""
    from qualitygate.store.history import record_check

    warning = record_check(settings.root, settings.history_db, settings.history_retention_days, result)
    if warning:
        print(f"qualitygate: warning: {warning}", file=stderr)


def run_merge(
    settings: Settings, reports: Sequence[Path], outputs: Sequence[OutputSpec], stdout: TextIO | None = None
) -> int:
    """The ``merge`` command: shard reports -> one verdict in any format (issue 5)."""
    from qualitygate.gate.merge import merge_files, merged_cycles

    stdout = stdout or sys.stdout
    result = _merged_advice(settings, merged_cycles(settings, merge_files(reports)))
    write_outputs(result, outputs, stdout, report_context(settings))
    if settings.track_history:  # the merged result is the whole project, unlike each shard
        record_history(settings, result, sys.stderr)
    return exit_code(result)


def _merged_advice(settings: Settings, merged: GateResult) -> GateResult:
    """Rule advice over the whole merged run, as one run gives it (each shard ranked its own
    worst offenders); kept from the shards when their source files are not here to re-read."""
    if not all(Path(file.path).is_file() for file in merged.files):
        return merged
    from qualitygate.models import SuggestionKind
    from qualitygate.suggestions.pipeline import suggestion_order

    ai = tuple(s for s in merged.suggestions if s.kind is SuggestionKind.AI)
    no_ai = CheckOptions(suggest=False)
    advised = add_suggestions(settings, replace(merged, suggestions=()), no_ai, sys.stderr)
    combined = sorted((*advised.suggestions, *ai), key=suggestion_order)
    return replace(advised, suggestions=tuple(combined))


def _history_window(settings: Settings, days: int | None) -> int | None:
    """``--days`` or else the retention; 0 means every run."""
    window = settings.history_retention_days if days is None else days
    return window or None


def run_history(
    settings: Settings, days: int | None, file: Path | None, top: int, fmt: str, stdout: TextIO | None = None
) -> int:
    """The ``history`` command: runs, trends, one file's points, the most-worsened functions."""
    from qualitygate.paths import root_relative
    from qualitygate.site.history_text import render_history
    from qualitygate.store.history import database_path
    from qualitygate.store.history_query import load_history

    database = database_path(settings.root, settings.history_db)
    relative = root_relative(file, settings.root) if file else None
    view = load_history(database, _history_window(settings, days), file=relative, top=top)
    render_history(view, fmt, stdout or sys.stdout)
    return 0


def run_report(
    settings: Settings,
    paths: Sequence[Path],
    output_dir: Path,
    *,
    days: int | None = None,
    use_cache: bool = True,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The ``report`` command: measure and gate, then write HTML, JSON and Markdown (issue 5)."""
    from qualitygate.site import write_report

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    # The recommendations are the advisor's rule-based suggestions, as check shows them (no AI).
    advice = CheckOptions(use_cache=use_cache, suggest=False)
    gated = _measured_and_gated(settings, paths, stderr, use_cache)
    result = add_suggestions(settings, gated, advice, stderr)
    written = write_report(result, settings, output_dir, _history_window(settings, days))
    for warning in written.warnings:
        print(f"qualitygate: warning: {warning}", file=stderr)
    print(f"qualitygate: wrote {written.describe()}", file=stdout)
    return 0
