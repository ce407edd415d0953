"""Compare qualitygate's raw counts with radon 6.0.1's ``raw.analyze`` on every stdlib file.

Tests included; files that do not decode or parse are skipped. radon is super-linear on long
multi-line statements, so each radon call gets ``--timeout`` seconds and a file radon does not
finish counts as a timeout, not as compared. Exits 1 if any file differs. Then it times
``analyze_raw`` alone (one process) over the stdlib without tests, and per line on
``pydoc_data/topics.py`` (one 15,000-line statement) against the other files.

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
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from radon.raw import analyze

from qualitygate.metrics.raw import analyze_raw
from qualitygate.metrics.source import SourceError, decode

STDLIB = Path(sysconfig.get_paths()["stdlib"])
Outcome = tuple[object, ...]
Row = tuple[str, Outcome, Outcome]  # path, radon's outcome, ours


class _Timeout(BaseException):  # not an Exception, so that no ``except Exception`` eats it
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


def stdlib_files(root: Path, tests: bool = True) -> Iterator[Path]:
    """Every .py file under ``root`` in a stable order, with or without the test folders."""
    skip = {"site-packages", "__pycache__"} | (set() if tests else {"test", "tests", "idle_test"})
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
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


def _outcome(count: Callable[[str], object], source: str) -> Outcome:
    """The seven numbers, or the SyntaxError message radon's grouping gives up with."""
    try:
        result = count(source)
    except SyntaxError as error:
        return ("SyntaxError", error.msg)
    except Exception as error:  # noqa: BLE001 - a crash is a difference to report, not a reason to stop
        return ("crash", repr(error))
    numbers = getattr(result, "totals", result)
    return tuple(
        getattr(numbers, name)
        for name in ("loc", "lloc", "sloc", "comments", "multi", "blank", "single_comments")
    )


def compare(path: Path, timeout: float) -> tuple[str, Row]:
    """'skipped', 'timeout', 'equal' or 'different', and (path, radon's outcome, ours)."""
    source = _read(path)
    if source is None:
        return "skipped", (str(path), (), ())
    ours = _outcome(analyze_raw, source)
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        theirs = _outcome(analyze, source)
    except _Timeout:
        return "timeout", (str(path), (), ours)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return ("equal" if theirs == ours else "different"), (str(path), theirs, ours)


def compare_all(files: list[Path], timeout: float, jobs: int) -> dict[str, list[Row]]:
    """Results by status: skipped, timeout, equal, different."""
    results: dict[str, list[Row]] = {}
    with ProcessPoolExecutor(jobs) as pool:
        for status, row in pool.map(compare, files, [timeout] * len(files), chunksize=8):
            results.setdefault(status, []).append(row)
    return results


def report(results: dict[str, list[Row]], found: int, timeout: float) -> None:
    equal, different = results.get("equal", []), results.get("different", [])
    print(f"files found:     {found}")
    print(f"skipped:         {len(results.get('skipped', []))} (do not decode or parse)")
    print(f"radon timeouts:  {len(results.get('timeout', []))} (over {timeout:g} s each)")
    for path, _, _ in results.get("timeout", []):
        print(f"  timeout  {path}")
    print(f"files compared:  {len(equal) + len(different)}")
    print(f"equal:           {len(equal)}")
    raising = sum(1 for _, theirs, _ in equal if theirs[:1] == ("SyntaxError",))
    print(f"  of which both raise radon's SyntaxError: {raising}")
    print(f"different:       {len(different)}")
    for path, theirs, ours in different:
        print(f"  {path}\n    radon: {theirs}\n    ours:  {ours}")


def best_time(sources: list[str], repeat: int = 5) -> float:
    """The fastest of ``repeat`` runs of analyze_raw over ``sources`` (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for source in sources:
            try:
                analyze_raw(source)
            except SyntaxError:
                pass
        best = min(best, time.perf_counter() - started)
    return best


def speed(root: Path) -> None:
    sources = {path: s for path in stdlib_files(root, tests=False) if (s := _read(path))}
    big = root / "pydoc_data" / "topics.py"
    others = [s for path, s in sources.items() if path != big]
    total = best_time(list(sources.values()))
    lines = sum(len(s.splitlines()) for s in sources.values())
    print(f"analyze_raw, stdlib without tests: {len(sources)} files, {lines} lines, ", end="")
    print(f"{total:.3f} s ({total / lines * 1e6:.2f} us/line)")
    if big in sources:
        big_lines, other_lines = (
            len(sources[big].splitlines()),
            lines - len(sources[big].splitlines()),
        )
        per_big = best_time([sources[big]]) / big_lines * 1e6
        per_other = best_time(others) / other_lines * 1e6
        print(
            f"  pydoc_data/topics.py: {per_big:.2f} us/line; the other files: {per_other:.2f} us/line"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per radon call")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--root", type=Path, default=STDLIB)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = list(stdlib_files(args.root))
    results = compare_all(files, args.timeout, args.jobs)
    report(results, len(files), args.timeout)
    print(f"elapsed:         {time.perf_counter() - started:.1f} s\n")
    speed(args.root)
    return 1 if results.get("different") else 0


if __name__ == "__main__":
    sys.exit(main())
