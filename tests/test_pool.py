"""How the pool deals files to its workers (biggest first, in chunks that shrink toward the end),
and how it serves the advice after measuring."""
from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qualitygate.metrics.pool import (
    LARGEST_SHARE,
    SMALLEST_SHARE,
    Pool,
    _chunks,
    _size,
    measure_all,
    measure_serial,
)
from qualitygate.models import FileMetrics

from .conftest import STDLIB, CliResult, stdlib_files


def _jobs(paths: list[Path]) -> list[tuple[Path, str]]:
    return [(path, str(path)) for path in paths]


def _bytes(chunk: list[tuple[Path, str]]) -> int:
    return sum(_size(job) for job in chunk)


@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_every_file_is_dealt_once_biggest_first(workers: int) -> None:
    jobs = _jobs(stdlib_files(limit_bytes=10**9))
    chunks = _chunks(jobs, workers)
    dealt = [job for chunk in chunks for job in chunk]
    assert sorted(dealt) == sorted(jobs)
    sizes = [_size(job) for job in dealt]
    assert sizes == sorted(sizes, reverse=True)


def test_chunks_shrink_toward_the_end_on_the_stdlib() -> None:
    """The first chunks are a sixteenth of the work each, as all of them were before; the last
    ones a small fraction of it, so no worker waits long at the end for the other's chunk."""
    jobs = _jobs(stdlib_files(limit_bytes=10**9))
    total = sum(_size(job) for job in jobs)
    chunks = _chunks(jobs, 2)
    biggest = max(_size(job) for job in jobs)
    assert all(_bytes(chunk) <= total * LARGEST_SHARE / 2 + biggest for chunk in chunks)
    # Guided: a chunk holds about half a worker's share of what was left, down to the floor.
    tail = [_bytes(chunk) for chunk in chunks[-3:]]
    assert all(size <= total * SMALLEST_SHARE / 2 + biggest / 10 for size in tail), tail
    assert 2 / LARGEST_SHARE <= len(chunks) <= 2 / SMALLEST_SHARE


def test_unreadable_and_empty_files_are_dealt_too(tmp_path: Path) -> None:
    """A file that cannot be stat'ed counts as empty; it is still measured (and reported)."""
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "big.py").write_text("x = 1\n" * 5000)
    jobs = _jobs([tmp_path / "empty.py", tmp_path / "missing.py", tmp_path / "big.py"])
    chunks = _chunks(jobs, 2)
    assert sorted(job for chunk in chunks for job in chunk) == sorted(jobs)
    assert chunks[0][0][0].name == "big.py"
    # None of them can be stat'ed: still chunks of several files, not one file each.
    missing = _jobs([tmp_path / f"gone{i}.py" for i in range(1000)])
    chunks = _chunks(missing, 2)
    assert sorted(job for chunk in chunks for job in chunk) == sorted(missing) and len(chunks) <= 2 / SMALLEST_SHARE


@pytest.mark.skipif(not STDLIB.is_dir(), reason="needs the stdlib folder")
def test_the_pool_measures_what_the_serial_path_measures() -> None:
    """However the files are dealt, the outcomes are the serial reference's."""
    from qualitygate.metrics.options import MetricOptions

    jobs = _jobs(stdlib_files(limit_bytes=40_000)[::9])
    options = MetricOptions()
    pooled = sorted(measure_all(jobs, options, 2), key=lambda o: o.path)
    serial = sorted(measure_serial(jobs, options, None), key=lambda o: o.path)
    assert pooled == serial and sum(isinstance(o, FileMetrics) for o in pooled) > 50


def _pid(_: object) -> int:
    return os.getpid()


def test_the_pool_stays_open_for_map_after_measuring() -> None:
    """What measuring started serves ``map`` (the advice's breakdowns) on the same workers."""
    from qualitygate.metrics.options import MetricOptions

    jobs = _jobs(stdlib_files(limit_bytes=40_000)[:20])
    with Pool(2) as pool:
        assert pool.map(_pid, [1, 2]) == [os.getpid()] * 2  # no pool yet: here
        pool.measure(jobs, MetricOptions())
        pids = set(pool.map(_pid, range(40)))
        assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert pool.map(_pid, [1, 2]) == [os.getpid()] * 2  # closed: here again


def test_a_few_files_start_no_pool_and_map_runs_here() -> None:
    from qualitygate.metrics.options import MetricOptions

    with Pool(2) as pool:
        pool.measure(_jobs(stdlib_files()[:3]), MetricOptions())
        assert pool.map(_pid, range(5)) == [os.getpid()] * 5


def test_check_computes_the_worst_offenders_breakdowns_on_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., CliResult]
) -> None:
    """A parallel check parses and costs its worst offenders on the measuring pool's workers,
    and advises exactly as a serial one (-j 1) does."""
    from qualitygate.suggestions import breakdowns

    root = tmp_path / "proj"
    root.mkdir()
    for path in stdlib_files(limit_bytes=60_000)[:30]:
        shutil.copy(path, root / f"{path.parent.name}_{path.name}")
    seen = tmp_path / "seen"
    seen.mkdir()
    real = breakdowns.function_breakdown

    def recording(lines: list[str], func: Any, count_asserts: bool = True) -> Any:
        (seen / f"{os.getpid()}-{func.qualname}-{func.lineno}").touch()  # forked workers inherit this
        return real(lines, func, count_asserts)

    monkeypatch.setattr(breakdowns, "function_breakdown", recording)
    args = ("check", ".", "-f", "json", "--no-cache", "--complexity-threshold", "4", "--cognitive-threshold", "4")
    parallel = cli(*args, "-j", "2", cwd=root)
    if multiprocessing.get_start_method() == "fork":  # workers that inherit the recording (3.10-3.13 on Linux)
        pids = {int(name.split("-")[0]) for name in os.listdir(seen)}
        assert len(os.listdir(seen)) >= 20 and os.getpid() not in pids  # computed on the workers
    serial = cli(*args, "-j", "1", cwd=root)
    assert parallel.code == serial.code == 1
    assert parallel.json()["suggestions"] == serial.json()["suggestions"]
    assert any("decision points" in s["text"] for s in parallel.json()["suggestions"])
