"""Entry point: ``python -m qualitygate`` and the ``qualitygate`` script."""
from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

from qualitygate.errors import EXIT_INTERNAL


def main() -> NoReturn:
    # A command runs for about a second and builds ~500k objects with no reference cycles (metrics
    # records, cache entries, violations): the cyclic collector would sweep them hundreds of times
    # for nothing, ~8% of a warm run. Reference counting still frees everything; the pool's
    # workers switch the collector back on (runner._worker_init). The API leaves it alone.
    gc.disable()
    from qualitygate.cli import run

    code = run(sys.argv[1:])
    # Every file is closed, every cache, baseline and history write has landed, the pool is
    # shut down: tearing down the interpreter's 500k objects one by one only delays the exit
    # code by ~10 ms on a warm run. Flush what is buffered and leave, as mypy does.
    os._exit(_flushed(code))


def _flushed(code: int) -> int:
    """``code``, unless the report still buffered for stdout or stderr cannot be written."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not getattr(stream, "closed", False):
                stream.flush()
        except BrokenPipeError:
            continue  # the reader left (| head): what it read is all it wanted
        except OSError as exc:  # a full disk, a file-size limit: the report is cut short
            if stream is not sys.stderr and sys.stderr is not None:
                _say(f"qualitygate: error: cannot write the report: {exc.strerror or exc}\n")
            return EXIT_INTERNAL
    return code


def _say(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    main()
