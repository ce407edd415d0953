"""Atomic file replacement: a temporary file in the same folder, then ``os.replace``."""
from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, text: str | bytes, *, mode: int = 0o644, newline: str = "\n") -> None:
    """Readers see the old file or the new one, never half of it; a failure leaves no temp file.

    ``mode`` is set explicitly because mkstemp creates 0600: a cache restored in CI by another
    user, or a committed baseline, must stay readable. ``newline=""`` writes the text untouched;
    bytes are always written untouched.
    """
    import tempfile  # only runs that write pay for it: a warm run writes nothing

    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temp, mode)
        if isinstance(text, bytes):
            with os.fdopen(handle, "wb") as binary:
                binary.write(text)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline=newline) as stream:
                stream.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
