"""The measure stage: the run's files (or standard input), from the cache or measured afresh."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO, TypeVar

from qualitygate.config import Settings, metric_options
from qualitygate.discovery.files import discover
from qualitygate.models import AnalysisError, FileMetrics
from qualitygate.outputs.progress import ProgressBar
from qualitygate.paths import display_path

if TYPE_CHECKING:
    from qualitygate.metrics.pool import Pool

T = TypeVar("T")
R = TypeVar("R")


class Workers:
    """Holds the measuring pool of one command, kept open for the advice after it (``map``).

    The pool itself is made only when files are measured, so a warm run loads no pool code
    (issue 5). Use it as a context manager: leaving it ends the workers (at once after an error
    or Ctrl-C).
    """

    def __init__(self) -> None:
        self.pool: Pool | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.close(stop=kind is not None)

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``function`` of each item: on the pool's workers when measuring started them, so it
        must be a module-level function (the pool pickles it), and so must the items be picklable."""
        if self.pool is None:
            return [function(item) for item in items]
        return self.pool.map(function, items)

    def close(self, stop: bool = False) -> None:
        if self.pool is not None:
            self.pool.close(stop)
            self.pool = None


class StdinSource(NamedTuple):
    """``check -`` (issue 16): source bytes read from standard input, and the path they stand for."""

    path: Path  # --stdin-filename: names the source in reports and picks its thresholds
    data: bytes


def measure_stdin(settings: Settings, source: StdinSource) -> tuple[list[FileMetrics], list[AnalysisError]]:
    """The one source read from standard input, never cached (it has no file to stamp)."""
    from qualitygate.metrics.analyze import measure_bytes

    outcome = measure_bytes(source.data, display_path(source.path), metric_options(settings))
    return ([outcome], []) if isinstance(outcome, FileMetrics) else ([], [outcome])


def _discover_jobs(
    settings: Settings, paths: Sequence[Path], stderr: TextIO
) -> tuple[list[tuple[Path, str]], list[AnalysisError]]:
    """The files to measure with their display paths, and the paths that could not be listed."""
    found = discover(
        paths or [Path(".")],
        settings.root,
        settings.include,
        settings.exclude,
        settings.respect_gitignore,
    )
    jobs = list(zip(found.files, found.shown, strict=True))
    if not jobs and not found.errors:
        shown = " ".join(display_path(Path(p)) for p in paths) or "."
        print(f"qualitygate: warning: no Python files found in {shown}", file=stderr)
    return jobs, list(found.errors)


def measure(
    settings: Settings,
    paths: Sequence[Path],
    stderr: TextIO,
    *,
    use_cache: bool = True,
    shard: tuple[int, int] | None = None,
    workers: Workers | None = None,
) -> tuple[list[FileMetrics], list[AnalysisError]]:
    """Discover and measure; errors (unreadable, unparsable) are returned, never raised.
    ``workers``: keeps the pool open for the caller (else it ends with the measuring)."""
    jobs, found_errors = _discover_jobs(settings, paths, stderr)
    if shard is not None:  # --shard K/N (issue 5): this CI job's stable slice of the files
        from qualitygate.discovery.shard import select, select_errors

        jobs = select(jobs, [file for file, _ in jobs], shard, settings.root)
        found_errors = select_errors(found_errors, shard, settings.root)
    run = _measure_cached if use_cache else _measure_jobs
    outcomes = run(settings, jobs, stderr, workers)
    files = [o for o in outcomes if isinstance(o, FileMetrics)]
    errors = [o for o in outcomes if isinstance(o, AnalysisError)] + found_errors
    return files, errors


def _measure_jobs(
    settings: Settings, jobs: Sequence[tuple[Path, str]], stderr: TextIO, workers: Workers | None = None
) -> list[FileMetrics | AnalysisError]:
    """Measure in a pool or serially; radon and the pool load only when a file needs measuring."""
    if not jobs:
        return []
    from qualitygate.metrics.pool import Pool, default_workers, measure_all

    count = settings.jobs or default_workers()
    pool: Pool | int = count  # measure_all makes a pool of this many workers, and ends it
    if workers is not None:  # the caller keeps the pool open for the advice
        if workers.pool is None:
            workers.pool = Pool(count)
        pool = workers.pool
    bar = ProgressBar(stderr, len(jobs))
    outcomes = measure_all(jobs, metric_options(settings), pool, bar.update if bar.enabled else None)
    bar.close()
    return outcomes


def _measure_cached(
    settings: Settings, jobs: Sequence[tuple[Path, str]], stderr: TextIO, workers: Workers | None = None
) -> list[FileMetrics | AnalysisError]:
    """Reuse the cached metrics of unchanged files and measure the rest (issue 5)."""
    from qualitygate.store.cache import MetricsCache, cache_dir

    def warn(text: str) -> None:
        print(f"qualitygate: warning: {text}", file=stderr)

    cache = MetricsCache(cache_dir(settings.root), metric_options(settings), warn)
    hits, misses = cache.split(jobs)
    measured = _measure_jobs(settings, misses, stderr, workers)
    cache.record(misses, measured)
    cache.save()
    return hits + measured
