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
    return printable(raw_display_path(path, cwd))


def raw_display_path(path: Path, cwd: Path | None = None) -> str:
    """``display_path`` before ``printable``: for a caller that joins more names to it first
    (spelling twice would print a backslash the name does not hold)."""
    if not path.is_absolute() and not path.drive:
        return path.as_posix()  # (cwd / path).relative_to(cwd) is path itself
    cwd = cwd or Path.cwd()
    absolute = path if path.is_absolute() else cwd / path
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


# What would end, split or restyle a line: C0 controls (CR, LF, TAB, ESC...), DEL, C1 controls
# (NEL...) and the Unicode line and paragraph separators (issue 12).
_CONTROL_CLASS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_CONTROL = re.compile(f"[{_CONTROL_CLASS}]")
# A backslash that could be read as the start of an escape: before another backslash, an ``xNN``
# or ``uNNNN``, a control character or a byte that is not UTF-8 (both spelled as escapes below).
# Doubling it keeps every spelling unique.
_AMBIGUOUS_BACKSLASH = re.compile(
    rf"\\(?=[\\\udc80-\udcff{_CONTROL_CLASS}]|x[0-9A-Fa-f]{{2}}|u[0-9A-Fa-f]{{4}})"
)
# What the GitHub Actions runner reads as a workflow command in any line of a step's log:
# ``::`` at the start (after white space), or ``##[`` anywhere (its older syntax).
_LEADING_COMMAND = re.compile(r"\A(\s*):(?=:)")
_OLD_COMMAND = "##["


def printable(text: str) -> str:
    """A path that any report can hold, and that names one file only: bytes of a file name that
    are not UTF-8 (which Python keeps as lone surrogates) are spelled ``\\xff``, control characters
    ``\\x0d`` (C0 and DEL) or ``\\u0085`` (C1, U+2028, U+2029), and a backslash that would read as
    such an escape is doubled, so the name ``bad\\xff.py`` and a name holding the byte 0xff never
    print the same (issue 12). A name that a CI log would read as a command has its ``:`` or ``[``
    spelled ``\\x3a`` or ``\\x5b`` (see ``one_line``). Every other name is returned as it is."""
    if "\\" in text:
        text = _AMBIGUOUS_BACKSLASH.sub(r"\\\\", text)
    return text if _plain(text) else _spelled_line(text)


def one_line(text: str) -> str:
    """``text`` as one line of a log that starts no command: what ``printable`` does to a name,
    without doubling backslashes (for messages, which need not be read back). The common case,
    a printable line with nothing that looks like a command, is returned at once."""
    return text if _plain(text) else _spelled_line(text)


def _plain(text: str) -> bool:
    """True for the names of nearly every file: nothing to spell (checked in C, run per file).
    Only a space or a colon can start a command among printable characters."""
    return text.isprintable() and _OLD_COMMAND not in text and text[:1] not in ": "


def _spelled_line(text: str) -> str:
    text = _CONTROL.sub(_spelled, text)
    if not text.isascii():
        text = _bytes_spelled(text)
    text = _LEADING_COMMAND.sub(r"\1\\x3a", text)
    return text.replace(_OLD_COMMAND, "##\\x5b")


def _bytes_spelled(text: str) -> str:
    """Bytes of a file name that are not UTF-8 (lone surrogates U+DC80-U+DCFF) as ``\\xNN``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # another lone surrogate (read from JSON): ``\\ud800``
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _spelled(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


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
