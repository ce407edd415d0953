"""Entry point: ``python -m qualitygate`` and the ``qualitygate`` script."""
from __future__ import annotations

import os
import signal
import sys

from qualitygate.collector import collect_less_often
from qualitygate.errors import EXIT_USAGE, Terminated


def main() -> int:
    """Run the command line and return its exit code, once the report is really written."""
    _forget_working_folder()
    collect_less_often()
    from qualitygate.cli import run

    signal.signal(signal.SIGTERM, _terminate)  # stopped as Ctrl-C stops it: workers too
    return _flushed(run(sys.argv[1:]))


def _forget_working_folder() -> None:
    """``python -m qualitygate`` puts the working folder first on sys.path: in a project holding
    a ``click.py``, that file would run instead of click (issue 12). qualitygate is imported by
    now, and its own modules are found through the package, so the folder can go."""
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def _flushed(code: int) -> int:
    """``code``, unless the report still buffered for stdout or stderr cannot be written."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not getattr(stream, "closed", False):
                stream.flush()
        except BrokenPipeError:
            _silence(stream)  # the reader left (| head): what it read is all it wanted
        except OSError as exc:  # a full disk, a file-size limit: the report is cut short
            _silence(stream)
            if stream is not sys.stderr:
                from qualitygate.paths import one_line  # an OSError names its file

                _say(f"qualitygate: error: cannot write the report: {one_line(str(exc.strerror or exc))}\n")
            return EXIT_USAGE  # an output error, as with --format NAME:PATH (issue 12)
    return code


def _silence(stream: object) -> None:
    """Point a stream that cannot be written at the null device, so the interpreter's own flush
    at exit has nothing to complain about (as the Python docs advise for SIGPIPE)."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())  # type: ignore[attr-defined]
    except (OSError, AttributeError, ValueError):
        pass


def _say(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    raise SystemExit(main())
