"""Read a file's bytes once and decode them as Python does (PEP 263), with clear errors."""
from __future__ import annotations

import io
import os
import stat
import tokenize
from pathlib import Path


class SourceError(Exception):
    """A file that cannot be turned into source text; carries a line when one is known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _cookie_line(data: bytes) -> int | None:
    """PEP 263 allows the cookie on line 1 or 2 only."""
    for number, line in enumerate(data.splitlines()[:2], 1):
        if b"coding" in line:
            return number
    return None


def decode(data: bytes) -> str:
    """Decode with the encoding cookie or BOM; NUL bytes and bad bytes are SourceErrors."""
    nul = data.find(b"\0")
    if nul != -1:
        raise SourceError("file contains NUL bytes (binary file?)", _line_of(data, nul))
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in exc.msg:
            raise SourceError(f"bad encoding declaration: {exc.msg}", _cookie_line(data)) from None
        # Undecodable bytes on the first lines and no cookie: decoding as UTF-8 names the byte.
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise SourceError(
            f"cannot decode as {encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start}", line
        ) from None
    except LookupError as exc:  # pragma: no cover - detect_encoding already rejects these
        raise SourceError(f"unknown encoding: {exc}") from None


def read_source(path: Path, max_bytes: int) -> str:
    """Read and decode ``path``; refuse directories, unreadable and oversized files."""
    try:
        # A FIFO would block the read forever, a device could be endless: regular files only.
        if not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):
            raise SourceError("not a regular file (a FIFO, socket or device); skipped")
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1 if max_bytes else -1)
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except PermissionError:
        raise SourceError("cannot read file: permission denied") from None
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    if max_bytes and len(data) > max_bytes:
        raise SourceError(f"file is larger than max_file_bytes ({max_bytes} bytes); skipped")
    return decode(data)
