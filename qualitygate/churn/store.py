"""The history cache: one JSON file per HEAD commit and window, so a second run reads no git log.

``.qualitygate_cache/churn-<16 hex>.json`` (the sha256 of the key) holds the whole key, the
window's commits and each file's touches in HEAD's line numbers. The work tree's own changes are
not in it: they are mapped on every run. A file that cannot be read, or does not hold what it
should, is a warning and the history is read from git again; the cache never fails a run.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qualitygate import __version__
from qualitygate.churn.gitlog import PATHSPEC, Commit
from qualitygate.churn.replay import History, Touch, merged
from qualitygate.paths import read_regular
from qualitygate.store.atomic import write_atomic
from qualitygate.store.buckets import prepare_folder, read_failure

FORMAT = 1
KEEP = 8  # the newest history files kept (one per commit and window a run asked about)
PATTERN = "churn-" + "[0-9a-f]" * 16 + ".json"
LIMIT = 1 << 62  # a line number or time past this is not one git wrote

Warn = Callable[[str], None]


class Malformed(ValueError):
    """The file parses as JSON but does not hold a history."""


def history_key(head: str, since: int | None) -> str:
    """Everything that must match for a stored history to be reused."""
    from qualitygate.store.cache import code_fingerprint

    parts = {"qualitygate": __version__, "code": code_fingerprint(), "format": FORMAT,
             "head": head, "since": since, "pathspec": PATHSPEC}  # fmt: skip
    return json.dumps(parts, sort_keys=True)


def history_file(directory: Path, key: str) -> Path:
    return directory / f"churn-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def load(path: Path, key: str, warn: Warn) -> History | None:
    """The history stored under ``key``, or None (absent, another key, or damaged: warned)."""
    try:
        document = json.loads(read_regular(path))  # bounded: at most paths.STATE_LIMIT bytes
        if not isinstance(document, dict) or document.get("key") != key:
            return None
        return _decode(document)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:  # Malformed is a ValueError
        warn(f"cannot read the hotspots cache {path} ({read_failure(exc)}); reading the history again")
        return None


def save(path: Path, key: str, history: History, warn: Warn) -> None:
    """Write the history atomically and drop the oldest history files; failure only warns."""
    document = {
        "format": FORMAT,
        "key": key,
        "commits": [list(commit) for commit in history.commits],
        "files": {name: [_encode(touch) for touch in touches] for name, touches in history.files.items()},
    }
    try:
        prepare_folder(path.parent)
        write_atomic(path, json.dumps(document, separators=(",", ":")))
        prune(path.parent, path)
    except OSError as exc:
        warn(f"cannot write the hotspots cache {path} ({exc.strerror or exc}); the next run reads the history again")


def prune(directory: Path, current: Path) -> None:
    """Keep the KEEP newest history files: each commit writes its own, and only ours are touched."""
    others = []
    for other in directory.glob(PATTERN):
        try:
            if other != current and other.is_file() and not other.is_symlink():
                others.append((other.stat().st_mtime, other))
        except OSError:
            continue
    for _, old in sorted(others, reverse=True)[KEEP - 1 :]:
        old.unlink(missing_ok=True)


def _encode(touch: Touch) -> list[Any]:
    return [touch.commit, [n for pair in touch.ranges for n in pair], list(touch.gaps)]


def _decode(document: dict[str, Any]) -> History:
    """The history in a document, every value type-checked (nothing read goes out unchecked)."""
    if document.get("format") != FORMAT:
        raise Malformed("another format")
    commits = tuple(_commit(row) for row in _list(document.get("commits")))
    files = document.get("files")
    if not isinstance(files, dict):
        raise Malformed("no files")
    return History(commits, {_text(path): tuple(_touch(row, len(commits)) for row in _list(touches))
                             for path, touches in files.items()})  # fmt: skip


def _commit(row: Any) -> Commit:
    sha, author, time = _list(row, 3)
    return Commit(_text(sha), _text(author), _number(time))


def _touch(row: Any, commits: int) -> Touch:
    commit, flat, gaps = _list(row, 3)
    numbers = [_number(n) for n in _list(flat)]
    if _number(commit) >= commits or len(numbers) % 2:
        raise Malformed("a touch out of range")
    ranges = merged(zip(numbers[::2], numbers[1::2], strict=True))  # sorted, as hits() needs
    return Touch(commit, ranges, tuple(_number(g) for g in _list(gaps)))


def _list(value: Any, length: int | None = None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise Malformed("not a list of the expected length")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Malformed("not a string")
    return value


def _number(value: Any) -> int:
    if type(value) is not int or not 0 <= value < LIMIT:  # never a bool, a float or a huge number
        raise Malformed("not a line number, index or time")
    return value
