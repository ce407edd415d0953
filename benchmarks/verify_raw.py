"""Compare qualitygate's raw counts with radon 6.0.1's ``raw.analyze`` on every stdlib file.

Tests included; files that do not decode or parse are skipped. radon is super-linear on long
multi-line statements, so each radon call gets ``--timeout`` seconds and a file radon does not
finish counts as a timeout, not as compared. Exits 1 if any file differs.

    PYTHONPATH=. python benchmarks/verify_raw.py [--timeout 5] [--jobs 2] [--root DIR]
"""
from __future__ import annotations

import argparse
import ast
import os
import signal
import sys
import sysconfig
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from radon.raw import analyze

from qualitygate.metrics.raw import analyze_raw
from qualitygate.metrics.source import SourceError, decode

STDLIB = Path(sysconfig.get_paths()["stdlib"])
Outcome = tuple[object, ...]


class _Timeout(BaseException):  # not an Exception, so that no ``except Exception`` eats it
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


def stdlib_files(root: Path) -> Iterator[Path]:
    """Every .py file under ``root``, tests included, in a stable order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__"))
        yield from (Path(dirpath) / f for f in sorted(filenames) if f.endswith(".py"))


def _read(path: Path) -> str | None:
    try:
        source = decode(path.read_bytes())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except (SourceError, SyntaxError, ValueError, OSError):
        return None
    return source


def _outcome(count: object, source: str) -> Outcome:
    """The seven numbers, or the SyntaxError message radon's grouping gives up with."""
    try:
        result = count(source)  # type: ignore[operator]
    except SyntaxError as error:
        return ("SyntaxError", error.msg)
    except Exception as error:  # a crash is a difference to report, not a reason to stop
        return ("crash", repr(error))
    numbers = getattr(result, "totals", result)
    return tuple(getattr(numbers, name) for name in ("loc", "lloc", "sloc", "comments", "multi", "blank", "single_comments"))


def compare(path: Path, timeout: float) -> tuple[str, str, Outcome, Outcome]:
    """('skipped' | 'timeout' | 'equal' | 'different', path, radon's outcome, ours)."""
    source = _read(path)
    if source is None:
        return "skipped", str(path), (), ()
    ours = _outcome(analyze_raw, source)
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        theirs = _outcome(analyze, source)
    except _Timeout:
        return "timeout", str(path), (), ours
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return ("equal" if theirs == ours else "different"), str(path), theirs, ours


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per radon call")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--root", type=Path, default=STDLIB)
    args = parser.parse_args(argv)
    files = list(stdlib_files(args.root))
    started = time.perf_counter()
    results: dict[str, list[tuple[str, Outcome, Outcome]]] = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        for status, path, theirs, ours in pool.map(compare, files, [args.timeout] * len(files), chunksize=8):
            results.setdefault(status, []).append((path, theirs, ours))
    compared = len(results.get("equal", [])) + len(results.get("different", []))
    print(f"files found:     {len(files)} under {args.root}")
    print(f"skipped:         {len(results.get('skipped', []))} (do not decode or parse)")
    print(f"radon timeouts:  {len(results.get('timeout', []))} (over {args.timeout:g} s each)")
    for path, _, _ in results.get("timeout", []):
        print(f"  timeout  {path}")
    print(f"files compared:  {compared}")
    print(f"equal:           {len(results.get('equal', []))}")
    both_raise = sum(1 for _, theirs, _ in results.get("equal", []) if theirs[:1] == ("SyntaxError",))
    print(f"  of which both raise radon's SyntaxError: {both_raise}")
    print(f"different:       {len(results.get('different', []))}")
    for path, theirs, ours in results.get("different", []):
        print(f"  {path}\n    radon: {theirs}\n    ours:  {ours}")
    print(f"elapsed:         {time.perf_counter() - started:.1f} s")
    return 1 if results.get("different") else 0


if __name__ == "__main__":
    sys.exit(main())
