"""Atomic file replacement: a temporary file in the same folder, then ``os.replace``."""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def write_atomic(path: Path, text: str | bytes, *, mode: int = 0o644, newline: str = "\n") -> None:
    """Readers see the old file or the new one, never half of it; a failure leaves no temp file.

    ``mode`` (less the umask) is set explicitly because mkstemp creates 0600: a cache restored in
    CI by another user, or a committed baseline, must stay readable. A symlink is written
    through to its file. ``newline=""`` writes the text untouched;
    bytes are always written untouched.
    """
    if isinstance(text, bytes):
        with _replacing(path, mode) as handle:
            with os.fdopen(handle, "wb") as binary:
                binary.write(text)
        return
    with atomic_text(path, mode=mode, newline=newline) as stream:
        stream.write(text)


@contextmanager
def atomic_text(
    path: Path, *, mode: int = 0o644, newline: str = "\n", devices_in_place: bool = False
) -> Iterator[TextIO]:
    """A UTF-8 text stream whose content replaces ``path`` only once the block ends without an
    error: a full disk or an interrupted run leaves the old file (or none), never a cut one.

    With ``devices_in_place`` (a report the user aimed somewhere), a path that is not a regular
    file (``/dev/null``, ``/dev/stdout``, a FIFO someone reads) is written in place: replacing a
    device node with a file would be far worse than a partial write. State files never are: a
    FIFO in the cache's place is replaced, never waited on.
    """
    if devices_in_place and _special(path):
        with open(path, "w", encoding="utf-8", newline=newline) as stream:
            yield stream
        return
    with _replacing(path, mode) as handle:
        with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as stream:
            yield stream


def _umask() -> int:
    """The process's umask (reading it means setting it: set straight back)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def _special(path: Path) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return False


@contextmanager
def _replacing(path: Path, mode: int) -> Iterator[int]:
    """The descriptor of a temporary file beside ``path``, moved over ``path`` on success."""
    import tempfile  # only runs that write pay for it: a warm run writes nothing

    path = Path(os.path.realpath(path))  # through a symlink to its file, never replacing the link
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temp, mode & ~_umask())
        yield handle
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
