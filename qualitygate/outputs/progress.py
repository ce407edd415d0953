"""A progress bar on stderr for long runs, shown only on a terminal."""
from __future__ import annotations

import os
import time
from typing import TextIO

MIN_FILES = 50  # short runs finish before a bar would help


class ProgressBar:
    """Redraws at most ten times a second; silent when stderr is not a TTY."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = total
        self.enabled = (
            total >= MIN_FILES
            and hasattr(stream, "isatty")
            and stream.isatty()
            and not os.environ.get("CI")
        )
        self._last = 0.0
        self._drawn = False

    def update(self, done: int, total: int) -> None:
        """Draw ``done/total`` files measured."""
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = width * done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the bar so the report starts on a clean line."""
        if self._drawn:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()
