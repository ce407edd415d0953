"""The incremental metrics cache: a file's measured metrics are reused while its bytes are unchanged.

It stores metrics, never verdicts: changing a threshold, the baseline or --diff needs no
re-measuring. Entries are keyed by absolute path in the buckets of ``store.buckets``; the entry
format is ``store.entries``.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from stat import S_ISREG
from typing import Any

from qualitygate import __version__
from qualitygate.metrics.options import MetricOptions
from qualitygate.models import FileMetrics
from qualitygate.store import entries
from qualitygate.store.buckets import FORMAT, Buckets, Warn, bucket_of, store_folder

DIR_NAME = ".qualitygate_cache"
ENV_VAR = "QUALITYGATE_CACHE_DIR"
# Errors that depend on the moment (permissions, memory, our own bugs), not on the file's bytes:
# caching them would repeat a stale error after the cause is fixed.
TRANSIENT_ERRORS = ("cannot read file", "is a directory", "internal error", "out of memory")
PACKAGE = Path(__file__).resolve().parents[1]

Job = tuple[Path, str]
Outcome = entries.Outcome


def cache_dir(root: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """``$QUALITYGATE_CACHE_DIR`` when set, else ``.qualitygate_cache`` at the project root."""
    override = environ.get(ENV_VAR)
    return Path(override) if override else root / DIR_NAME


def key_parts(options: MetricOptions) -> dict[str, Any]:
    """Everything that must match for stored metrics to be reused."""
    import radon  # its __init__ only sets __version__; the analysis modules stay unloaded

    return {
        "qualitygate": __version__,
        "code": _own_fingerprint(),
        "radon": radon.__version__,
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "options": options._asdict(),
        "function_fields": list(entries.function_fields()),
        "format": FORMAT,
    }


def cache_key(options: MetricOptions) -> str:
    """``key_parts`` as one canonical text, stored with the entries and compared in full."""
    return json.dumps(key_parts(options), sort_keys=True)


def code_fingerprint(package: Path = PACKAGE) -> str:
    """A sha256 over the path and bytes of each of qualitygate's own modules.

    The version alone is not enough in a checkout or an editable install: code edited between
    two releases must not be served the metrics the old code measured. Contents, not times:
    pip stamps every installed file with the install time, and a CI cache restored into a fresh
    install of the same code must still be warm.
    """
    import hashlib

    digest = hashlib.sha256()
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(n for n in names if n.endswith(".py")):
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, package).encode() + b"\0")
            with open(path, "rb") as handle:
                digest.update(handle.read() + b"\0")
    return digest.hexdigest()


@functools.cache
def _own_fingerprint() -> str:
    """This process's own code does not change while it runs."""
    return code_fingerprint()


def local_modules(options: MetricOptions) -> frozenset[str]:
    """Names an import can resolve to in the local roots (or their src/), as ``classify`` looks.

    A cached file's dependency kinds stay right only while none of its third-party names
    appears here and all of its absolute local names still do; ``MetricsCache`` checks that on
    every hit instead of keying the whole cache on the folder listing.
    """
    if not options.enable_dependency_analysis:
        return frozenset()
    names: set[str] = set()
    for root in options.local_roots:
        for folder in (root, os.path.join(root, "src")):
            try:
                with os.scandir(folder) as listing:
                    names.update(_module_name(entry) for entry in listing)
            except OSError:
                continue
    names.discard("")
    return frozenset(names)


def _module_name(entry: os.DirEntry[str]) -> str:
    if entry.name.endswith(".py"):
        return entry.name[:-3]
    return entry.name if entry.is_dir() else ""


def file_digest(path: Path | str) -> str | None:
    """sha256 of the file's bytes, or None when it cannot be read (measuring will say why)."""
    import hashlib

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


BLOB = "blob:"  # the key prefix of git blobs' entries; every other key is an absolute path


def _cacheable(outcome: Outcome) -> bool:
    return isinstance(outcome, FileMetrics) or not outcome.message.startswith(TRANSIENT_ERRORS)


class MetricsCache:
    """Entries by absolute path. Only the parent process reads and writes it; workers only measure."""

    def __init__(self, directory: Path, options: MetricOptions, warn: Warn) -> None:
        key = cache_key(options)
        self.store = Buckets(store_folder(directory, "metrics", key), key, warn)
        self.local_names = local_modules(options)
        self.warn = warn
        self._pending: dict[str, tuple[int, int, str]] = {}

    def split(self, jobs: Sequence[Job]) -> tuple[list[Outcome], list[Job]]:
        """The outcomes found in the cache, and the jobs that must be measured.

        Bucket by bucket: a bucket with nothing to write is let go before the next is read, so
        the cache adds one bucket, not the whole store, to a run's memory.
        """
        hits: list[Outcome] = []
        misses: list[Job] = []
        keyed = sorted((bucket_of(os.path.abspath(file)), os.path.abspath(file), file, display)
                       for file, display in jobs)  # fmt: skip
        current = None
        for bucket, key, file, display in keyed:
            if bucket != current:
                self.store.release_clean()
                current = bucket
            outcome = self._lookup(key, file, display)
            if outcome is None:
                misses.append((file, display))
            else:
                hits.append(outcome)
        self.store.release_clean()
        return hits, misses

    def _lookup(self, key: str, file: Path, display: str) -> Outcome | None:
        try:
            stat = os.stat(file)
        except OSError:
            return None  # measuring reports the problem
        if not S_ISREG(stat.st_mode):
            return None  # a FIFO or a device would block or never end the hash; measuring says so
        entry = self.store.get(key)
        stored = entries.stamp_of(entry)
        if stored is not None and stored[:2] == (stat.st_size, stat.st_mtime_ns):
            outcome = self._hit(key, entry, display)
            if outcome is not None:
                return outcome
            stored = None  # malformed, or its imports sort differently now: measured again
        # Hash now, before measuring: if the file changes while it is measured, the next run sees
        # a digest that matches neither and measures it again.
        digest = file_digest(file)
        if digest is None:
            return None
        if stored is not None and stored[2] == digest:
            # Same bytes, new mtime (a checkout, a touch): keep the metrics, remember the new stamp.
            outcome = self._hit(key, entry, display)
            if outcome is not None:
                self.store.put(key, {**entry, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
                return outcome
        self._pending[key] = (stat.st_size, stat.st_mtime_ns, digest)
        return None

    def _hit(self, key: str, entry: dict[str, Any], display: str) -> Outcome | None:
        try:
            outcome = entries.decode(entry, display)
        except entries.Malformed as exc:
            self.store.delete(key)
            self.warn(f"cache entry for {display} is malformed ({exc}); measuring it again")
            return None
        if isinstance(outcome, FileMetrics) and not self._dependencies_current(outcome):
            return None  # a module appeared or went away: measured again, the new entry replaces it
        return outcome

    def _dependencies_current(self, file: FileMetrics) -> bool:
        """False when a module was added or removed that changes how this file's imports sort."""
        third, local = file.dependencies.third_party, file.dependencies.local
        if any(name in self.local_names for name in third):
            return False
        return all(name in self.local_names for name in local if not name.startswith("."))

    def record(self, jobs: Sequence[Job], outcomes: Sequence[Outcome]) -> None:
        """Store what was measured for ``jobs`` (misses of ``split``), keyed by the stamps taken then."""
        keys = {display: os.path.abspath(file) for file, display in jobs}
        for outcome in outcomes:
            key = keys.get(outcome.path)
            stamp = self._pending.pop(key, None) if key else None
            if key is not None and stamp is not None and _cacheable(outcome):
                self.store.put(key, entries.encode(outcome, stamp))

    def save(self) -> None:
        """Write the changed buckets; entries of files that no longer exist are dropped from them."""
        for index in self.store.dirty:
            for key, _ in self.store.entries(index):
                if not key.startswith(BLOB) and not os.path.lexists(key):
                    self.store.delete(key)
        self.store.save()

    def blob(self, sha: str, display: str) -> Outcome | None:
        """The outcome stored for a git blob (``--diff``'s merge-base side: issue 14), or None."""
        entry = self.store.get(BLOB + sha)
        stamp = entries.stamp_of(entry)
        if stamp is None or stamp[2] != sha:
            return None
        return self._hit(BLOB + sha, entry, display)

    def put_blob(self, sha: str, size: int, outcome: Outcome) -> None:
        """Store the outcome of a git blob; its id names its bytes, so it never goes stale."""
        if _cacheable(outcome):
            self.store.put(BLOB + sha, entries.encode(outcome, (size, 0, sha)))

    def breakdowns(self, path: str, digest: str) -> dict[str, Any]:
        """The statement breakdowns stored with ``path``'s entry while its bytes are ``digest``."""
        entry = self.store.get(os.path.abspath(path))
        stamp = entries.stamp_of(entry)
        if stamp is None or stamp[2] != digest:
            return {}
        found = entry.get("breakdowns")
        return found if isinstance(found, dict) else {}

    def store_breakdown(self, path: str, digest: str, name: str, value: Any) -> None:
        """Keep a breakdown with the entry of ``path``, only while that entry is for ``digest``."""
        key = os.path.abspath(path)
        entry = self.store.get(key)
        stamp = entries.stamp_of(entry)
        if stamp is not None and stamp[2] == digest:
            self.store.put(key, {**entry, "breakdowns": {**self.breakdowns(path, digest), name: value}})
