"""The incremental metrics cache: a file's measured metrics are reused while its bytes are unchanged."""
from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import os
import sys
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from itertools import chain
from pathlib import Path
from typing import Any

from qualitygate import __version__
from qualitygate.atomic import write_atomic
from qualitygate.metrics.options import MetricOptions
from qualitygate.models import (
    AnalysisError,
    FileMetrics,
    FunctionMetrics,
    Halstead,
    RawMetrics,
    Scope,
)
from qualitygate.serialize import (
    FileRow,
    error_from_dict,
    error_to_dict,
    file_from_row,
    file_to_row,
    record_without_path,
    with_record,
)

DIR_NAME = ".qualitygate_cache"
ENV_VAR = "QUALITYGATE_CACHE_DIR"
LAYOUT = 3  # the shape of the cache file; a new shape is a new file name, never a misread
ENTRIES = b'"entries":'  # the checksum covers everything after this member name
RECORDS = b',"records":['  # the last member: the report records, read by slicing, not parsing
RECORD_HEAD = b'{"path":"",'  # a stored record's path is empty: the display path is this run's
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

Outcome = FileMetrics | AnalysisError
Job = tuple[Path, str]


@dataclass(frozen=True)
class Entry:
    """One file's stored outcome, valid while the size and mtime, or else the digest, match."""

    size: int
    mtime_ns: int
    digest: str
    seen_day: int  # days since the epoch of the last run that saw the file (for pruning)
    kind: str  # "file" (FileMetrics) or "error" (AnalysisError)
    data: Any  # "file": the positional row of ``serialize.file_to_row``; "error": its JSON object
    record: str = ""  # "file": the report's JSON record after its path, written as is when warm

    @classmethod
    def parse(cls, raw: object, records: memoryview) -> Entry | None:
        """An entry from its JSON list and the records section, or None when it is not one."""
        if not (isinstance(raw, list) and len(raw) == 8):
            return None
        size, mtime_ns, digest, seen_day, kind, data, start, length = raw
        if not (_ints(size, mtime_ns, seen_day, start, length) and isinstance(digest, str)):
            return None
        if (kind, type(data)) == ("error", dict):
            return cls(size, mtime_ns, digest, seen_day, kind, data)
        if kind != "file" or type(data) is not list or start < 0:
            return None
        record = bytes(records[start : start + length])
        if not record.startswith(RECORD_HEAD):
            return None
        try:
            text = record[len(RECORD_HEAD) :].decode("utf-8")
        except UnicodeDecodeError:
            return None
        return cls(size, mtime_ns, digest, seen_day, kind, data, text)

    def dump(self, start: int, length: int) -> list[Any]:
        """The compact JSON list this entry is stored as; its record sits at ``start`` in the
        records section."""
        return [self.size, self.mtime_ns, self.digest, self.seen_day, self.kind, self.data, start, length]


def _names(values: object) -> list[str]:
    """The string names of a stored dependency list; a damaged entry's other values are skipped."""
    return [n for n in values if isinstance(n, str)] if isinstance(values, list) else []


def _ints(*values: object) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


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
        "code": code_fingerprint(),
        "radon": radon.__version__,
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "options": dataclasses.asdict(options),
    }


PACKAGE = Path(__file__).resolve().parent


def code_fingerprint(package: Path = PACKAGE) -> str:
    """The size and mtime of each of qualitygate's own modules.

    The version alone is not enough in a checkout or an editable install: code edited between
    two releases must not be served the metrics the old code measured.
    """
    stamps = []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(n for n in names if n.endswith(".py")):
            stat = os.stat(os.path.join(folder, name))
            stamps.append(f"{os.path.relpath(os.path.join(folder, name), package)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(stamps).encode()).hexdigest()[:16]


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


def cache_file(directory: Path, options: MetricOptions, prefix: str = PREFIX) -> Path:
    """The file holding the entries for this key (other keys live side by side)."""
    text = json.dumps(key_parts(options), sort_keys=True)
    return directory / f"{prefix}{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"


def file_digest(path: Path) -> str | None:
    """sha256 of the file's bytes, or None when it cannot be read (measuring will say why)."""
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


def _encode(outcome: Outcome) -> Entry:
    """The stored form of one outcome; the stamps are filled in by the caller."""
    if isinstance(outcome, FileMetrics):
        return Entry(0, 0, "", 0, "file", file_to_row(outcome), record_without_path(outcome))
    return Entry(0, 0, "", 0, "error", error_to_dict(outcome))


def _decode(entry: Entry, display: str) -> Outcome:
    # Paths are not stored: the display path depends on where this run started.
    if entry.kind != "file":
        return error_from_dict(_error_checked({**entry.data, "path": display}))
    return file_from_row(_row_checked(entry.data), display, entry.record)


_NUMBER_TYPES = frozenset((int, float))
FUNCTION_FIELDS = len(FunctionMetrics._fields)
RAW_FIELDS = len(fields(RawMetrics))
HALSTEAD_FIELDS = len(fields(Halstead))


def _row_checked(row: FileRow) -> FileRow:
    """Every value of a stored row has the type the models expect, or TypeError (what ``_hit``
    treats as malformed: the file is measured again). The checksum already rules out damage;
    this keeps a crafted entry from crashing the gate, or from gating other functions than the
    stored record reports."""
    raw, cyclomatic, maintainability, halstead, deps, functions, suppressions = row
    if not (_lists(raw, halstead, deps, functions, suppressions) and len(deps) == 3
            and (len(raw), len(halstead)) == (RAW_FIELDS, HALSTEAD_FIELDS)):  # fmt: skip
        raise TypeError("a row part has the wrong shape")
    if functions and set(map(len, functions)) != {FUNCTION_FIELDS}:
        raise TypeError("a function row has the wrong length")
    # Column by column (zip is C-level): name and qualname are strings, the rest numbers.
    columns = list(zip(*functions, strict=True))
    numbers = chain([cyclomatic, maintainability], raw, halstead, *columns[2:])
    if not set(map(type, numbers)) <= _NUMBER_TYPES:
        raise TypeError("a metric is not a number")
    if not _strings(*columns[:2], *deps):
        raise TypeError("a name is not a string")
    for line, scope, names, target, problem in suppressions:
        if not (_ints(line, target) and scope in SCOPES and _lists(names) and _strings(names, [problem])):
            raise TypeError("a suppression is malformed")
    return row


SCOPES = frozenset(scope.value for scope in Scope)


def _lists(*values: object) -> bool:
    return all(type(value) is list for value in values)


def _strings(*sequences: Sequence[object]) -> bool:
    return all(set(map(type, sequence)) <= {str} for sequence in sequences)


def _error_checked(data: dict[str, Any]) -> dict[str, Any]:
    line, message = data.get("line"), data.get("message")
    if not ((line is None or _ints(line)) and isinstance(message, str)):
        raise TypeError("an error entry is malformed")
    return data


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
        entries: dict[str, Entry],
        today: int,
        warnings: list[str],
        local_names: frozenset[str] = frozenset(),
    ):
        self.file = file
        self.entries = entries
        self.local_names = local_names
        self.today = today
        self.warnings = warnings
        self._pending: dict[str, tuple[int, int, str]] = {}
        self._dirty = False

    @classmethod
    def load(cls, directory: Path, options: MetricOptions, now: float | None = None) -> MetricsCache:
        """Read the cache for these options; a missing, corrupt or unreadable one counts as empty."""
        file = cache_file(directory, options)
        today = int((time.time() if now is None else now) // SECONDS_PER_DAY)
        with _no_gc():
            entries, warnings = _read(file)
        return cls(file, entries, today, warnings, local_modules(options))

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
            self.entries[key] = dataclasses.replace(entry, size=stamp[0], mtime_ns=stamp[1])
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
        third = _names(third)
        local = [n for n in _names(local) if not n.startswith(".")]
        if any(name in self.local_names for name in third):
            return False
        return all(name in self.local_names for name in local)

    def _hit(self, key: str, entry: Entry, display: str) -> Outcome | None:
        try:
            outcome = _decode(entry, display)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            del self.entries[key]
            self._dirty = True
            self.warnings.append(f"cache entry for {display} is malformed ({exc!r}); measuring it again")
            return None
        if entry.seen_day != self.today:
            # Days, not seconds: a warm run the same day has nothing to write.
            self.entries[key] = dataclasses.replace(entry, seen_day=self.today)
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
            entry = dataclasses.replace(_encode(outcome), size=pending[0], mtime_ns=pending[1],
                                        digest=pending[2], seen_day=self.today)  # fmt: skip
            self.entries[key] = entry
            self._dirty = True
            if isinstance(outcome, FileMetrics):
                outcome = with_record(outcome, entry.record)
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
            write_atomic(self.file, self._payload())
            prune_other_keys(self.file, PREFIX, cutoff * SECONDS_PER_DAY)
        except OSError as exc:
            self.warnings.append(
                f"cannot write the cache in {self.file.parent} ({exc.strerror or exc}); "
                "the next run measures every changed file again"
            )
        self._dirty = False

    def _payload(self) -> bytes:
        """``{"layout":3,"crc32":N,"entries":{...},"records":[{...},...]}``: one JSON document.

        The records (each file's report record, with an empty path) come last, so reading the
        cache parses the entries and only slices the records: they are 3/4 of the bytes and
        would be parsed for nothing, since a report copies them as they are.
        """
        entries: dict[str, list[Any]] = {}
        records: list[bytes] = []
        start = 0
        for key in sorted(self.entries):
            entry = self.entries[key]
            record = RECORD_HEAD + entry.record.encode("utf-8") if entry.kind == "file" else b""
            entries[key] = entry.dump(start, len(record))
            if record:
                records.append(record)
                start += len(record) + 1  # and the comma
        # ASCII: a file name that is not UTF-8 (lone surrogates in Python) stays a valid key.
        index = json.dumps(entries, separators=(",", ":")).encode("ascii")
        body = index + RECORDS + b",".join(records) + b"]"
        # Records are copied into reports unread, so a damaged file must be noticed: crc32 over
        # the entries and records catches a flipped byte or a hand edit for ~1 ms on the stdlib.
        return checksummed(LAYOUT, body)


def _read(file: Path) -> tuple[dict[str, Entry], list[str]]:
    try:
        data = file.read_bytes()
        split = data.find(RECORDS)
        # Only the part before the records is parsed; the records are sliced by offset.
        document = json.loads(data[:split] + b"}") if split > 0 else None
    except FileNotFoundError:
        return {}, []
    except (OSError, ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, absurd nesting
        return {}, [f"cannot read the cache {file} ({_read_failure(exc)}); measuring every file"]
    if not isinstance(document, dict) or document.get("layout") != LAYOUT or not data.endswith(b"]}"):
        return {}, [f"the cache {file} is not in the expected format; measuring every file"]
    if not checksum_matches(data, document):
        return {}, [f"the cache {file} is damaged (its checksum does not match); measuring every file"]
    return _entries_of(document, file, memoryview(data)[split + len(RECORDS) :])


def checksummed(layout: int, body: bytes) -> bytes:
    """``{"layout":L,"crc32":N,"entries":BODY}``, where N is the crc32 of BODY's bytes."""
    return f'{{"layout":{layout},"crc32":{zlib.crc32(body)},'.encode() + ENTRIES + body + b"}"


def checksum_matches(data: bytes, document: dict[str, Any]) -> bool:
    """Whether the bytes after ``"entries":`` (less the closing brace) have the stored crc32."""
    start = data.find(ENTRIES)
    expected = document.get("crc32")
    if start < 0 or not _ints(expected):
        return False
    return zlib.crc32(memoryview(data)[start + len(ENTRIES) : -1]) == expected


def _read_failure(exc: Exception) -> str:
    """The OS's own wording when there is one, else the exception's text."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _entries_of(
    document: dict[str, Any], file: Path, records: memoryview
) -> tuple[dict[str, Entry], list[str]]:
    """The well-formed entries of a decoded cache document, with a warning for what was dropped."""
    raw = document.get("entries")
    if not isinstance(raw, dict):
        return {}, [f"the cache {file} is not in the expected format; measuring every file"]
    entries = {key: entry for key, value in raw.items() if (entry := Entry.parse(value, records))}
    if len(entries) < len(raw):
        return entries, [f"the cache {file} has {len(raw) - len(entries)} malformed entries; ignoring them"]
    return entries, []


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
