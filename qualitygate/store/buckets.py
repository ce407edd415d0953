"""Plain JSON entries on disk, split into buckets by a hash of each entry's name, so a run reads
and rewrites only the buckets of the entries it asks for."""
from __future__ import annotations

import hashlib
import json
import os
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from qualitygate.paths import read_regular
from qualitygate.store.atomic import write_atomic

BUCKETS = 256  # a one-file run reads 1/256 of the entries, a full run every bucket once
FORMAT = 1  # the shape of a bucket file; another shape is another folder, never a misread
MAX_AGE_DAYS = 30  # a store folder no run has written for this long is deleted
SECONDS_PER_DAY = 86400
KEY_FILE = "key.json"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by qualitygate.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)

Warn = Callable[[str], None]
Entries = dict[str, Any]


def bucket_of(name: str) -> int:
    """The bucket an entry name falls in: the same on every machine and run."""
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) % BUCKETS


def store_folder(directory: Path, kind: str, key: str) -> Path:
    """The folder of one store (``kind``) under one key: entries measured under another key
    (another qualitygate, radon, Python or options) live in another folder."""
    return directory / f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def prepare_folder(directory: Path) -> None:
    """Create the cache folder with CACHEDIR.TAG (backup tools skip it) and a .gitignore of ``*``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "*\n")):
        marker = directory / name
        if not marker.exists():
            marker.write_text(text, encoding="utf-8")


def read_failure(exc: Exception) -> str:
    """The OS's own wording when there is one, else the exception's text."""
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


class Buckets:
    """``{name: JSON value}`` in BUCKETS files; each is read on first use and written only when
    changed. An unreadable or malformed bucket counts as empty, with a warning: a cache never
    fails the gate."""

    def __init__(self, folder: Path, key: str, warn: Warn) -> None:
        self.folder = folder
        self.key = key
        self.warn = warn
        self._loaded: dict[int, Entries] = {}
        self._dirty: set[int] = set()
        self._key_checked: bool | None = None

    def get(self, name: str) -> Any:
        """The stored value, or None."""
        return self._bucket(bucket_of(name)).get(name)

    def put(self, name: str, value: Any) -> None:
        """Store ``value`` (kept in memory until ``save``)."""
        index = bucket_of(name)
        self._bucket(index)[name] = value
        self._dirty.add(index)

    def delete(self, name: str) -> None:
        """Forget an entry (a malformed one, or one the caller knows is stale)."""
        index = bucket_of(name)
        if self._bucket(index).pop(name, None) is not None:
            self._dirty.add(index)

    def release_clean(self) -> None:
        """Drop the buckets that have nothing to write: a full run then holds one at a time."""
        for index in [i for i in self._loaded if i not in self._dirty]:
            del self._loaded[index]

    def entries(self, index: int) -> Iterator[tuple[str, Any]]:
        """Every entry of one bucket (for pruning)."""
        yield from list(self._bucket(index).items())

    @property
    def dirty(self) -> frozenset[int]:
        """The buckets ``save`` would write."""
        return frozenset(self._dirty)

    def _bucket(self, index: int) -> Entries:
        if index not in self._loaded:
            self._loaded[index] = self._read(index) if self._key_matches() else {}
        return self._loaded[index]

    def _path(self, index: int) -> Path:
        return self.folder / f"{index:02x}.json"

    def _key_matches(self) -> bool:
        """Whether the folder holds this very key (its name is only a hash of it)."""
        if self._key_checked is None:
            try:
                stored = json.loads(read_regular(self.folder / KEY_FILE))
            except (OSError, ValueError, RecursionError):
                stored = None
            self._key_checked = stored == self.key
        return self._key_checked

    def _read(self, index: int) -> Entries:
        path = self._path(index)
        try:
            document = json.loads(read_regular(path))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as exc:  # unreadable, bad JSON or UTF-8
            self.warn(f"cannot read the cache file {path} ({read_failure(exc)}); ignoring it")
            self._dirty.add(index)
            return {}
        entries = document.get("entries") if isinstance(document, dict) else None
        if not isinstance(entries, dict) or document.get("format") != FORMAT:
            self.warn(f"the cache file {path} is not in the expected format; ignoring it")
            self._dirty.add(index)
            return {}
        return entries

    def save(self) -> None:
        """Write every changed bucket atomically; a failure is a warning, never an error."""
        if not self._dirty:
            touch(self.folder)  # still in use: pruning goes by the folder's modification time
            return
        try:
            prepare_folder(self.folder.parent)
            self.folder.mkdir(exist_ok=True)
            if not self._key_matches():  # a new folder, or one whose key file was damaged
                for stale in self.folder.glob(BUCKET_NAME):  # never adopted as this key's
                    stale.unlink()
                write_atomic(self.folder / KEY_FILE, json.dumps(self.key))
                self._key_checked = True
            for index in sorted(self._dirty):
                entries = self._loaded.get(index, {})
                document = {"format": FORMAT, "entries": {name: entries[name] for name in sorted(entries)}}
                write_atomic(self._path(index), json.dumps(document, separators=(",", ":")))
            prune_old_folders(self.folder)
        except OSError as exc:
            self.warn(f"cannot write the cache in {self.folder} ({exc.strerror or exc}); "
                      "the next run does this work again")  # fmt: skip
        self._dirty.clear()


# Files of the single-file cache formats before buckets (a crc32 in the name), removed like an
# old store folder; the old AI answers file only when it starts as qualitygate wrote it.
OLD_FORMATS = tuple(f"{kind}-{'[0-9a-f]' * 8}.json" for kind in ("metrics", "breakdowns"))
OLD_ANSWERS = ("ai-suggestions.json", b'{"version": 1, "answers": ')


def prune_old_folders(current: Path, now: float | None = None) -> None:
    """Store folders of other keys, and files of older cache formats, that no run has used for
    30 days are dead weight."""
    cutoff = (time.time() if now is None else now) - MAX_AGE_DAYS * SECONDS_PER_DAY
    for other in current.parent.iterdir():
        try:
            if other != current and other.stat().st_mtime < cutoff:
                _remove_ours(other)
        except OSError:
            continue


def _remove_ours(path: Path) -> None:
    """Delete ``path`` if qualitygate wrote it: $QUALITYGATE_CACHE_DIR may be shared with other
    tools, so only our own names are touched."""
    if path.is_file() and (any(path.match(pattern) for pattern in OLD_FORMATS) or _old_answers(path)):
        path.unlink()
    elif _is_store_folder(path):
        for file in path.iterdir():
            if file.name == KEY_FILE or file.match(BUCKET_NAME):
                file.unlink()
        path.rmdir()  # OSError, and so kept, when anything else is inside


def _old_answers(path: Path) -> bool:
    name, head = OLD_ANSWERS
    if path.name != name:
        return False
    with open(path, "rb") as stream:
        return stream.read(len(head)) == head


def _is_store_folder(path: Path) -> bool:
    """A folder named as ``store_folder`` names them, holding a key file."""
    named = path.match(STORE_NAME) and not path.is_symlink()
    return named and path.is_dir() and (path / KEY_FILE).is_file()


STORE_NAME = "*-" + "[0-9a-f]" * 16
BUCKET_NAME = "[0-9a-f][0-9a-f].json"


def touch(folder: Path) -> None:
    """Mark a store folder as used (pruning goes by its modification time)."""
    try:
        os.utime(folder)
    except OSError:
        pass
