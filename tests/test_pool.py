"""How the pool deals files to its workers: biggest first, in chunks that shrink toward the end."""
from __future__ import annotations

from pathlib import Path

import pytest

from qualitygate.metrics.pool import LARGEST, SMALLEST, _chunks, _size, measure_all, measure_serial
from qualitygate.models import FileMetrics

from .conftest import STDLIB, stdlib_files


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
    assert all(_bytes(chunk) <= total / (LARGEST * 2) + biggest for chunk in chunks)
    # Guided: a chunk holds about half a worker's share of what was left, down to the floor.
    tail = [_bytes(chunk) for chunk in chunks[-3:]]
    assert all(size <= total / (SMALLEST * 2) + biggest / 10 for size in tail), tail
    assert 2 * LARGEST <= len(chunks) <= 2 * SMALLEST


def test_unreadable_and_empty_files_are_dealt_too(tmp_path: Path) -> None:
    """A file that cannot be stat'ed counts as empty; it is still measured (and reported)."""
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "big.py").write_text("x = 1\n" * 5000)
    jobs = _jobs([tmp_path / "empty.py", tmp_path / "missing.py", tmp_path / "big.py"])
    chunks = _chunks(jobs, 2)
    assert sorted(job for chunk in chunks for job in chunk) == sorted(jobs)
    assert chunks[0][0][0].name == "big.py"


@pytest.mark.skipif(not STDLIB.is_dir(), reason="needs the stdlib folder")
def test_the_pool_measures_what_the_serial_path_measures() -> None:
    """However the files are dealt, the outcomes are the serial reference's."""
    from qualitygate.metrics.options import MetricOptions

    jobs = _jobs(stdlib_files(limit_bytes=40_000)[::9])
    options = MetricOptions()
    pooled = sorted(measure_all(jobs, options, 2), key=lambda o: o.path)
    serial = sorted(measure_serial(jobs, options, None), key=lambda o: o.path)
    assert pooled == serial and sum(isinstance(o, FileMetrics) for o in pooled) > 50
