"""The incremental metrics cache: a file's measured metrics are reused while its bytes are unchanged.

Which entries to reuse, record and prune lives here; the bytes on disk in ``cache_format``.
"""
from __future__ import annotations

import functools
import gc
import json
import os
import sys
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qualitygate import __version__
from qualitygate.metrics.options import MetricOptions
from qualitygate.models import FileMetrics
from qualitygate.serialize import with_record
from qualitygate.store.atomic import write_atomic
from qualitygate.store.cache_format import (
    LAYOUT,
    Entry,
    Outcome,
    decode_entry,
    dump_entries,
    encode_entry,
    read_entries,
)

DIR_NAME = ".qualitygate_cache"
ENV_VAR = "QUALITYGATE_CACHE_DIR"
MAX_AGE_DAYS = 30
SECONDS_PER_DAY = 86400
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by qualitygate.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
# Errors that depend on the moment (permissions, memory, our own bugs), not on the file's bytes:
# caching them would repeat a stale error after the cause is fixed.
TRANSIENT_ERRORS = ("cannot read file", "is a directory", "internal error", "out of memory")

Job = tuple[Path, str]


def _names(values: object) -> list[str]:
    """The string names of a stored dependency list; a damaged entry's other values are skipped."""
    return [n for n in values if isinstance(n, str)] if isinstance(values, list) else []


def cache_dir(root: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """``$QUALITYGATE_CACHE_DIR`` when set, else ``.qualitygate_cache`` at the project root."""
    override = environ.get(ENV_VAR)
    return Path(override) if override else root / DIR_NAME


def key_parts(options: MetricOptions) -> dict[str, Any]:
    """Everything that must match for stored metrics to be reused."""
    import radon  # its __init__ only sets __version__; the analysis modules stay unloaded

    return {
        "layout": LAYOUT,
        "qualitygate": __version__,
        "code": _own_fingerprint(),
        "radon": radon.__version__,
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "options": options._asdict(),
    }


PACKAGE = Path(__file__).resolve().parents[1]


def code_fingerprint(package: Path = PACKAGE) -> str:
    """The size and mtime of each of qualitygate's own modules, one line each.

    The version alone is not enough in a checkout or an editable install: code edited between
    two releases must not be served the metrics the old code measured. Kept whole rather than
    hashed: the key is stored in the cache file and compared in full (``cache_file``).
    """
    stamps = []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(n for n in names if n.endswith(".py")):
            stat = os.stat(os.path.join(folder, name))
            stamps.append(f"{os.path.relpath(os.path.join(folder, name), package)}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(stamps)


@functools.cache
def _own_fingerprint() -> str:
    """This process's own code does not change while it runs: the metrics and the breakdown
    caches both need it, and it takes a walk over the package."""
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


PREFIX = "metrics-"


def cache_key(options: MetricOptions) -> str:
    """``key_parts`` as one canonical text: every cache file stores it and is used only when the
    stored text is this very one."""
    return json.dumps(key_parts(options), sort_keys=True)


def cache_file(directory: Path, key: str, prefix: str = PREFIX) -> Path:
    """The file holding the entries for this key (other keys live side by side).

    The name is a crc32 of the key, only to spread keys over files: the key inside the file is
    what decides (see ``cache_format.read_entries``), so no cryptographic hash, and no loading
    OpenSSL's, on a warm run.
    """
    return directory / f"{prefix}{zlib.crc32(key.encode()):08x}.json"


def file_digest(path: Path) -> str | None:
    """sha256 of the file's bytes, or None when it cannot be read (measuring will say why)."""
    import hashlib  # only files that changed are hashed: a warm run never loads OpenSSL

    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _cacheable(outcome: Outcome) -> bool:
    return isinstance(outcome, FileMetrics) or not outcome.message.startswith(TRANSIENT_ERRORS)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic collector: a warm stdlib run builds ~500k objects with no cycles, and
    the collector would otherwise sweep them hundreds of times (15% of a warm run)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class MetricsCache:
    """Entries by absolute path. Only the parent process reads and writes it; workers only measure."""

    def __init__(
        self,
        file: Path,
        key: str,
        entries: dict[str, Entry],
        today: int,
        warnings: list[str],
        local_names: frozenset[str] = frozenset(),
    ):
        self.file = file
        self.key = key
        self.entries = entries
        self.local_names = local_names
        self.today = today
        self.warnings = warnings
        self._pending: dict[str, tuple[int, int, str]] = {}
        self._dirty = False

    @classmethod
    def load(cls, directory: Path, options: MetricOptions, now: float | None = None) -> MetricsCache:
        """Read the cache for these options; a missing, corrupt or unreadable one counts as empty."""
        key = cache_key(options)
        file = cache_file(directory, key)
        today = int((time.time() if now is None else now) // SECONDS_PER_DAY)
        with _no_gc():
            entries, warnings = read_entries(file, key)
        return cls(file, key, entries, today, warnings, local_modules(options))

    def split(self, jobs: Sequence[Job]) -> tuple[list[Outcome], list[Job]]:
        """The outcomes found in the cache, and the jobs that must be measured."""
        hits: list[Outcome] = []
        misses: list[Job] = []
        with _no_gc():
            for job in jobs:
                outcome = self._lookup(*job)
                if outcome is None:
                    misses.append(job)
                else:
                    hits.append(outcome)
        return hits, misses

    def _lookup(self, file: Path, display: str) -> Outcome | None:
        key = os.path.abspath(file)
        try:
            stat = os.stat(file)
        except OSError:
            return None  # measuring reports the problem
        stamp = (stat.st_size, stat.st_mtime_ns)
        entry = self._current_entry(key)
        if entry is not None and (entry.size, entry.mtime_ns) == stamp:
            hit = self._hit(key, entry, display)
            if hit is not None:
                return hit
        return self._lookup_by_digest(file, key, entry, stamp, display)

    def _current_entry(self, key: str) -> Entry | None:
        """The stored entry for ``key``, or None when there is none or its imports sort differently now."""
        entry = self.entries.get(key)
        if entry is not None and not self._dependencies_current(entry):
            return None  # measured again, and the new outcome replaces it
        return entry

    def _lookup_by_digest(
        self, file: Path, key: str, entry: Entry | None, stamp: tuple[int, int], display: str
    ) -> Outcome | None:
        """A hit when the bytes match the entry despite a new stamp; else note the stamp as pending."""
        # Hash now, before measuring: if the file changes while it is measured, the next run sees
        # a digest that matches neither and measures it again.
        digest = file_digest(file)
        if digest is None:
            return None
        if entry is not None and entry.digest == digest and key in self.entries:
            # Same bytes, new mtime (a checkout, a touch): keep the metrics, remember the new stamp.
            self.entries[key] = entry._replace(size=stamp[0], mtime_ns=stamp[1])
            self._dirty = True
            return self._hit(key, self.entries[key], display)
        self._pending[key] = (stamp[0], stamp[1], digest)
        return None

    def _dependencies_current(self, entry: Entry) -> bool:
        """False when a module was added or removed that changes how this file's imports sort."""
        try:
            _, third, local = entry.data[4] if entry.kind == "file" else ((), (), ())
        except (TypeError, ValueError, IndexError, KeyError):
            return True  # a damaged entry: decoding says it is malformed
        if not (third or local):  # most files: nothing that a new module could re-sort
            return True
        third = _names(third)
        local = [n for n in _names(local) if not n.startswith(".")]
        if any(name in self.local_names for name in third):
            return False
        return all(name in self.local_names for name in local)

    def _hit(self, key: str, entry: Entry, display: str) -> Outcome | None:
        try:
            outcome = decode_entry(entry, display)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError) as exc:
            del self.entries[key]
            self._dirty = True
            self.warnings.append(f"cache entry for {display} is malformed ({exc!r}); measuring it again")
            return None
        if entry.seen_day != self.today:
            # Days, not seconds: a warm run the same day has nothing to write.
            self.entries[key] = entry._replace(seen_day=self.today)
            self._dirty = True
        return outcome

    def record(self, jobs: Sequence[Job], outcomes: Sequence[Outcome]) -> list[Outcome]:
        """Store what was measured for ``jobs`` (misses of ``split``), keyed by the stamps taken then.

        Returns the outcomes with the JSON records just encoded for the cache attached, so the
        JSON report does not encode them a second time.
        """
        keys = {display: os.path.abspath(file) for file, display in jobs}
        stored: list[Outcome] = []
        for outcome in outcomes:
            key = keys.get(outcome.path)
            pending = self._pending.pop(key, None) if key else None
            if key is None or pending is None or not _cacheable(outcome):
                stored.append(outcome)
                continue
            try:
                entry = encode_entry(outcome)._replace(size=pending[0], mtime_ns=pending[1],
                                                       digest=pending[2], seen_day=self.today)  # fmt: skip
            except OverflowError:  # a value the function table cannot hold: not cached
                stored.append(outcome)
                continue
            self.entries[key] = entry
            self._dirty = True
            if isinstance(outcome, FileMetrics):
                outcome = with_record(outcome, entry.record, entry.digest)
            stored.append(outcome)
        return stored

    def save(self) -> None:
        """Prune entries unseen for 30 days and write atomically; a failure is only a warning."""
        cutoff = self.today - MAX_AGE_DAYS
        # Entries this run did not see stay: pre-commit passes only the staged files.
        stale = [key for key, entry in self.entries.items() if entry.seen_day < cutoff]
        for key in stale:
            del self.entries[key]
        if not (self._dirty or stale):
            return
        try:
            prepare_folder(self.file.parent)
            write_atomic(self.file, dump_entries(self.entries, self.key))
            prune_other_keys(self.file, PREFIX, cutoff * SECONDS_PER_DAY)
        except OSError as exc:
            self.warnings.append(
                f"cannot write the cache in {self.file.parent} ({exc.strerror or exc}); "
                "the next run measures every changed file again"
            )
        self._dirty = False

def prepare_folder(directory: Path) -> None:
    """Create the folder with CACHEDIR.TAG (backup tools skip it) and a .gitignore of ``*``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "*\n")):
        marker = directory / name
        if not marker.exists():
            marker.write_text(text, encoding="utf-8")


def prune_other_keys(current: Path, prefix: str, cutoff_seconds: float) -> None:
    """Cache files of other versions or options, untouched for 30 days, are dead weight."""
    for other in current.parent.glob(f"{prefix}*.json"):
        try:
            if other != current and other.stat().st_mtime < cutoff_seconds:
                other.unlink()
        except OSError:
            continue
