"""Paths as reports and stored state spell them (from the working folder or the project root), and
reading a state file (config, baseline, cache, shard report) without ever blocking on one."""
from __future__ import annotations

import errno
import functools
import os
import re
import stat
from pathlib import Path


def display_path(path: Path, cwd: Path | None = None) -> str:
    """Relative to the working directory when under it, always with '/' separators."""
    if not path.is_absolute() and not path.drive:
        return printable(path.as_posix())  # (cwd / path).relative_to(cwd) is path itself
    cwd = cwd or Path.cwd()
    absolute = path if path.is_absolute() else cwd / path
    try:
        return printable(absolute.relative_to(cwd).as_posix())
    except ValueError:
        return printable(absolute.as_posix())


# A backslash that could be read as the start of an escape: before another backslash, an ``xNN``,
# or a byte that is not UTF-8 (spelled ``\xNN`` below). Doubling it keeps every spelling unique.
_AMBIGUOUS_BACKSLASH = re.compile(r"\\(?=[\\\udc80-\udcff]|x[0-9A-Fa-f]{2})")


def printable(text: str) -> str:
    """A path that any report can hold, and that names one file only: bytes of a file name that
    are not UTF-8 (which Python keeps as lone surrogates) are spelled ``\\xff``, and a backslash
    that would read as such an escape is doubled, so the name ``bad\\xff.py`` and a name holding
    the byte 0xff never print the same (issue 12). Every other name is returned as it is."""
    if "\\" in text:
        text = _AMBIGUOUS_BACKSLASH.sub(r"\\\\", text)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def root_relative(path: str | os.PathLike[str], root: Path) -> str:
    """A path (relative to the working directory) as a '/' path relative to ``root``.

    The one key of a file in the baseline, the overrides, the shards and the history, so they
    agree whatever the working folder. A file outside the project keeps its absolute path.
    """
    absolute = os.path.abspath(path)
    relative = _under(absolute, root)
    if relative is None:  # maybe reached through a symlinked folder (the root is resolved)
        folder, name = os.path.split(absolute)
        relative = _under(os.path.join(_real_folder(folder), name), root)
    return printable(relative if relative is not None else absolute.replace(os.sep, "/"))


def _under(path: str, root: Path) -> str | None:
    prefix = os.path.join(str(root), "")
    return path[len(prefix) :].replace(os.sep, "/") if path.startswith(prefix) else None


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    """Cached per folder: a run asks once per file, and realpath costs a syscall per part."""
    return os.path.realpath(folder)


STATE_LIMIT = 256 * 1024 * 1024  # bytes: no config, baseline, cache bucket or shard report is larger


def read_regular(path: str | os.PathLike[str], limit: int = STATE_LIMIT) -> bytes:
    """The bytes of a regular file. OSError for anything else: a FIFO (opened without blocking,
    so it can never hang the run), a device such as /dev/zero, a socket, or a file over ``limit``."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(handle).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory")
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, device or socket)")
        with os.fdopen(handle, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    finally:
        os.close(handle)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes")
    return data
