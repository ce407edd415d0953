"""The merge-base side of ``--diff`` (issue 14): each changed file as it was at the base, read
from git's object store in memory (the working tree is never touched) and measured as any file
is. The metrics are cached by blob id; the text is always read (one ``git cat-file`` for all),
since pairing a renamed function compares bodies."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from qualitygate.errors import QualityGateError
from qualitygate.gate.diff import ChangedCode
from qualitygate.metrics.analyze import measure_bytes
from qualitygate.metrics.options import MetricOptions
from qualitygate.models import AnalysisError, FileMetrics
from qualitygate.paths import display_path

Warn = Callable[[str], None]
CHUNK = 500  # paths per ``git ls-tree`` call, far below any argument-length limit


class BaseSide(NamedTuple):
    """The changed files as they were at the merge-base."""

    files: dict[str, FileMetrics]  # report path now -> its metrics at the base
    removed: tuple[FileMetrics, ...]  # files deleted since the base, under the path they had
    sources: dict[str, str]  # report path now (or at the base, for removed files) -> base text


class BaseCache(Protocol):
    """What a metrics cache offers for blobs (``store.cache.MetricsCache``; ``NoCache`` for none)."""

    def blob(self, sha: str, display: str) -> FileMetrics | AnalysisError | None: ...

    def put_blob(self, sha: str, size: int, outcome: FileMetrics | AnalysisError) -> None: ...


class NoCache:
    """``--no-cache``: every base file is measured."""

    def blob(self, sha: str, display: str) -> FileMetrics | AnalysisError | None:
        return None

    def put_blob(self, sha: str, size: int, outcome: FileMetrics | AnalysisError) -> None:
        return None


def measure_base(changed: ChangedCode, current: Iterable[FileMetrics], options: MetricOptions,
                 cache: BaseCache, warn: Warn) -> BaseSide:  # fmt: skip
    """Measure the base version of every changed file that existed there, and of deleted files."""
    top = Path(changed.top)
    wanted = _wanted(changed, current)
    gone = {name: display_path(top / name) for name in changed.removed if name.endswith(".py")}
    blobs = _blob_ids(changed.base, [*wanted, *gone], top)
    texts = _blob_bytes(sorted(set(blobs.values())), top)
    files: dict[str, FileMetrics] = {}
    removed: list[FileMetrics] = []
    sources: dict[str, str] = {}
    for base_path, sha in sorted(blobs.items()):
        shown = wanted.get(base_path) or gone[base_path]
        outcome = _measured(sha, texts.get(sha), shown, options, cache)
        if isinstance(outcome, AnalysisError):
            warn(f"{shown}: its version at the merge-base could not be measured ({outcome.message}); "
                 "no deltas for it")  # fmt: skip
        elif base_path in wanted:
            files[shown] = outcome
        else:
            removed.append(outcome)
        sources[shown] = texts.get(sha, b"").decode("utf-8", "replace")
    return BaseSide(files, tuple(removed), sources)


def _wanted(changed: ChangedCode, current: Iterable[FileMetrics]) -> dict[str, str]:
    """Base path -> report path now, for each measured file that changed and existed at the base."""
    wanted: dict[str, str] = {}
    for file in current:
        change = changed.change_of(file.path)
        if change is not None and change.base_path:
            wanted[change.base_path] = file.path
    return wanted


def measure_cached(changed: ChangedCode, current: Iterable[FileMetrics], options: MetricOptions, root: Path,
                   use_cache: bool, warn: Warn) -> BaseSide:  # fmt: skip
    """``measure_base`` with the project's metrics cache (none with ``--no-cache``)."""
    from qualitygate.store.cache import MetricsCache, cache_dir

    options = options._replace(enable_dependency_analysis=False)  # deltas compare no imports
    if not use_cache:
        return measure_base(changed, current, options, NoCache(), warn)
    cache = MetricsCache(cache_dir(root), options, warn)
    side = measure_base(changed, current, options, cache, warn)
    cache.save()
    return side


def _measured(sha: str, data: bytes | None, shown: str, options: MetricOptions,
              cache: BaseCache) -> FileMetrics | AnalysisError:  # fmt: skip
    cached = cache.blob(sha, shown)
    if cached is not None:
        return cached
    if data is None:
        return AnalysisError(shown, None, "git could not read its blob")
    outcome = measure_bytes(data, shown, options)
    cache.put_blob(sha, len(data), outcome)
    return outcome


# -- asking git ----------------------------------------------------------------------------------


class GitError(QualityGateError):
    """git could not read the merge-base's files."""


def _run(args: Sequence[str], top: Path, data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "--literal-pathspecs", *args], cwd=top, input=data,
                              capture_output=True, check=False)  # fmt: skip
    except FileNotFoundError:
        raise GitError("--diff needs git, and git was not found on PATH") from None
    if done.returncode != 0:
        raise GitError(f"--diff: git {args[0]} failed: {os.fsdecode(done.stderr).strip()}")
    return done.stdout


def _blob_ids(base: str, paths: Sequence[str], top: Path) -> dict[str, str]:
    """Base path -> blob id, for the paths that are files at ``base`` (one call per CHUNK paths)."""
    found: dict[str, str] = {}
    for start in range(0, len(paths), CHUNK):
        listing = _run(["ls-tree", "-z", base, "--", *paths[start : start + CHUNK]], top)
        for record in listing.split(b"\0"):
            meta, _, name = record.partition(b"\t")
            fields = meta.split()
            if len(fields) == 3 and fields[1] == b"blob":
                found[os.fsdecode(name)] = fields[2].decode("ascii")
    return found


def _blob_bytes(shas: Sequence[str], top: Path) -> dict[str, bytes]:
    """Blob id -> its bytes, all through one ``git cat-file --batch``."""
    if not shas:
        return {}
    out = _run(["cat-file", "--batch"], top, "".join(f"{sha}\n" for sha in shas).encode("ascii"))
    found: dict[str, bytes] = {}
    index = 0
    for sha in shas:
        header_end = out.index(b"\n", index)
        fields = out[index:header_end].split()
        index = header_end + 1
        if len(fields) == 3 and fields[1] == b"blob":
            size = int(fields[2])
            found[sha] = out[index : index + size]
            index += size + 1  # the blob, then a newline
    return found
