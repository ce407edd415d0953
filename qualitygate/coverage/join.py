"""Join a coverage file to the measured functions: each one's line coverage and CRAP score.

A function's lines are those of its own body, ``lineno`` < line <= ``end_lineno``, less the bodies
of the functions nested in it: the ``def`` line and the decorators run in the enclosing scope when
the function is defined, not when it is called (coverage.py's own function regions count the same
way), and a nested function's body runs only when that function is called.
"""
from __future__ import annotations

import os
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from qualitygate.coverage.read import CoverageFileError, CoverageReport, FileLines, read_report
from qualitygate.models import FileMetrics, FunctionCoverage, FunctionMetrics
from qualitygate.paths import display_path, printable, root_relative

LEFT_OUT = "no coverage or CRAP score in this run"


def crap_score(complexity: int, coverage: float) -> float:
    """CRAP(m) = comp(m)^2 x (1 - cov(m))^3 + comp(m), with ``coverage`` from 0 to 1 (Alberto
    Savoia and Bob Evans, "The CRAP metric", 2007)."""
    return complexity**2 * (1.0 - coverage) ** 3 + complexity


class Joined(NamedTuple):
    """The functions of the files the coverage file matched, and what to warn about."""

    records: tuple[FunctionCoverage, ...]
    warnings: tuple[str, ...]


def join_file(path: Path, files: Sequence[FileMetrics], root: Path) -> Joined:
    """Read the coverage file at ``path`` and join it to ``files``; never raises for a bad file."""
    shown = display_path(path)
    try:
        report = read_report(path)
    except CoverageFileError as exc:
        return Joined((), (f"coverage file {shown}: {exc}; {LEFT_OUT}",))
    table = _by_root_path(report, root, path.parent)
    matched = [(file, table[key]) for file in files if (key := root_relative(file.path, root)) in table]
    if not matched:
        return Joined((), (_none_matched(shown, report, len(files)),) if files else ())
    stale = _stale(path, matched)
    warnings: tuple[str, ...] = ()
    if stale:
        warnings = (f"coverage file {shown}: {len(stale)} of the {len(matched)} files it matched "
                    f"changed since it was written (e.g. {stale[0]}); their coverage is left out: "
                    "run the tests again",)  # fmt: skip
    return Joined(_records(matched, set(stale)), warnings)


def _records(matched: Sequence[tuple[FileMetrics, FileLines]], left_out: set[str]) -> tuple[FunctionCoverage, ...]:
    records = [record for file, lines in matched if file.path not in left_out
               for record in _file_records(file, lines)]  # fmt: skip
    return tuple(sorted(records, key=lambda r: (r.path, r.line, r.symbol)))


def _none_matched(shown: str, report: CoverageReport, measured: int) -> str:
    listed = len(report.files)
    example = f", e.g. {printable(next(iter(report.files)))}" if listed else ""
    return (f"coverage file {shown}: 0 of the {measured} measured files matched ({report.kind} "
            f"listing {listed} file{'s' * (listed != 1)}{example}): stale, or written in another "
            f"folder; {LEFT_OUT}")  # fmt: skip


def _by_root_path(report: CoverageReport, root: Path, folder: Path) -> dict[str, FileLines]:
    """Each listed file under the path relative to the project root that ``root_relative`` gives
    a measured file. A Cobertura name is joined to each ``<source>`` first; then any name to the
    project root and to the coverage file's folder (a report made in another checkout, or by
    coverage.py with ``relative_files``). The first base that gives a path wins it."""
    bases = [os.path.join(root, source) for source in report.sources]  # an absolute one stays
    table: dict[str, FileLines] = {}
    for base in dict.fromkeys([*bases, str(root), str(folder)]):
        for name, lines in report.files.items():
            table.setdefault(root_relative(os.path.join(base, name), root), lines)
    return table


def _stale(path: Path, matched: Sequence[tuple[FileMetrics, FileLines]]) -> list[str]:
    """The matched files that changed since the coverage file was written: newer than it, or
    shorter than a line it lists. Their line numbers may no longer be the same lines."""
    try:
        written: int | None = os.stat(path).st_mtime_ns
    except OSError:
        written = None
    return [file.path for file, lines in matched
            if max(lines.executable, default=0) > file.raw.loc or _newer(file.path, written)]  # fmt: skip


def _newer(name: str, written: int | None) -> bool:
    try:
        return written is not None and os.stat(name).st_mtime_ns > written
    except OSError:  # a name spelled for a report (issue 12) may not open: not known to be newer
        return False


def _file_records(file: FileMetrics, lines: FileLines) -> list[FunctionCoverage]:
    owners = _owners(file.functions, sorted(lines.executable))
    executable = Counter(owners.values())
    covered = Counter(owner for line, owner in owners.items() if line in lines.covered)
    return [_record(file.path, func, executable[index], covered[index])
            for index, func in enumerate(file.functions)]  # fmt: skip


def _owners(functions: Sequence[FunctionMetrics], executable: list[int]) -> dict[int, int]:
    """Each listed line -> the index of the innermost function whose body holds it. Outer
    functions start first, so an inner function's body, visited later, takes its lines."""
    owners: dict[int, int] = {}
    for index in sorted(range(len(functions)), key=lambda i: functions[i].lineno):
        func = functions[index]
        start, stop = bisect_right(executable, func.lineno), bisect_right(executable, func.end_lineno)
        owners.update(dict.fromkeys(executable[start:stop], index))
    return owners


def _record(path: str, func: FunctionMetrics, executable: int, covered: int) -> FunctionCoverage:
    fraction = covered / executable if executable else None
    crap = None if fraction is None else crap_score(func.cyclomatic_complexity, fraction)
    return FunctionCoverage(path, func.id, func.lineno, func.end_lineno, func.cyclomatic_complexity,
                            executable, covered, fraction, crap, func.column or 1)  # fmt: skip
