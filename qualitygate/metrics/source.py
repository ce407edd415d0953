"""Read a file's bytes once and decode them as Python does (PEP 263), with clear errors."""
from __future__ import annotations

import codecs
import io
import os
import re
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


# PEP 263: a comment holding ``coding:`` or ``coding=``, on line 1 or 2 only.
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]")


def _cookie_line(data: bytes) -> int | None:
    """The line (1 or 2) of the encoding cookie, if any."""
    for number, line in enumerate(data.splitlines()[:2], 1):
        if _COOKIE.match(line):
            return number
    return None


_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
              (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))  # fmt: skip


def _wide_encoding(data: bytes, nul: int) -> str | None:
    """"UTF-16" or "UTF-32" for a file saved so (Windows editors do): by its BOM, or without one,
    by the NUL that ASCII text in UTF-16 has in one byte of (nearly) every pair and not the other."""
    found = next((name for bom, name in _WIDE_BOMS if data.startswith(bom)), None)
    if found or nul == -1:
        return found
    sample = data[:4096]
    zeros = sorted((sample[0::2].count(0), sample[1::2].count(0)))
    pairs = len(sample) // 2
    return "UTF-16" if zeros[1] * 2 >= pairs and zeros[0] * 10 <= pairs else None


def _codec_problem(encoding: str) -> str | None:
    """Why Python cannot read source in the declared ``encoding``, else None: a codec that is not
    for text (``hex``, ``rot13``, ``base64``), or one that does not keep ASCII as it is."""
    try:
        same = b"x = 1  # ok\n".decode(encoding) == "x = 1  # ok\n"
    except LookupError:
        return f"{encoding!r} is not a text encoding"
    except UnicodeError:
        same = False
    return None if same else f"{encoding!r} is not ASCII-compatible, so Python cannot read source in it"


def _encoding(data: bytes) -> str:
    """The encoding of the cookie or BOM (PEP 263); a bad cookie is a SourceError at its line."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in exc.msg:
            raise SourceError(f"bad encoding declaration: {exc.msg}", _cookie_line(data)) from None
        return "utf-8"  # undecodable bytes on the first lines and no cookie: UTF-8 names the byte
    problem = _codec_problem(encoding) if encoding != "utf-8" else None
    if problem:
        raise SourceError(f"bad encoding declaration: {problem}", _cookie_line(data))
    return encoding


def decode(data: bytes) -> str:
    """Decode with the encoding cookie or BOM; NUL bytes and bad bytes are SourceErrors."""
    nul = data.find(b"\0")
    wide = _wide_encoding(data, nul)
    if wide:
        raise SourceError(f"the file looks {wide} encoded; Python source must be UTF-8 (or an "
                          "ASCII-compatible encoding declared in a coding comment): save it as UTF-8")  # fmt: skip
    if nul != -1:
        raise SourceError("file contains NUL bytes (binary file?)", _line_of(data, nul))
    encoding = _encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise SourceError(
            f"cannot decode as {encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start}", line
        ) from None


def read_source(path: Path, max_bytes: int) -> str:
    """Read and decode ``path``; refuse directories, unreadable and oversized files."""
    return decode(read_bytes(path, max_bytes))


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path`` (a notebook's JSON is not decoded as Python: issue 15); refuse
    directories, unreadable and oversized files."""
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
    return data
