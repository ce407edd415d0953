"""``--diff REF``: the lines changed since the merge-base with REF, and gating only those."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from qualitygate.errors import QualityGateError
from qualitygate.gate.rules import RULES_BY_CODE
from qualitygate.models import FileMetrics, GateResult, Scope, Violation

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
# Fixed options, so the user's git config (diff.noprefix, diff.relative, color...) cannot change
# the output this module parses.
_DIFF = ("diff", "-U0", "-M", "--no-color", "--no-ext-diff", "--no-textconv", "--no-relative",
         "--src-prefix=a/", "--dst-prefix=b/")  # fmt: skip


class DiffError(QualityGateError):
    """``--diff`` cannot work out what changed (no git, no repository, REF or merge-base missing)."""


@dataclass(frozen=True)
class FileChange:
    """The changed lines of one file on the working-tree side of ``git diff``."""

    ranges: tuple[tuple[int, int], ...] = ()  # added or modified lines, inclusive
    gaps: tuple[int, ...] = ()  # a deletion between line g and g + 1
    whole: bool = False  # a new file: every line counts as changed

    def touches(self, first: int, last: int) -> bool:
        """True when a change falls inside lines ``first``..``last``."""
        if self.whole:
            return True
        if any(start <= last and first <= end for start, end in self.ranges):
            return True
        return any(first <= gap < last for gap in self.gaps)


@dataclass(frozen=True)
class ChangedCode:
    """What changed between the merge-base and the working tree, by absolute real path."""

    base: str
    files: Mapping[str, FileChange] = field(default_factory=dict)

    def change_of(self, path: str) -> FileChange | None:
        """The change of a report path (relative to the working directory), None if untouched."""
        return self.files.get(os.path.realpath(path))


# -- asking git ----------------------------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args], cwd=cwd, capture_output=True,
            text=True, encoding="utf-8", errors="surrogateescape", check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise DiffError("--diff needs git, and git was not found on PATH") from None


def _toplevel(root: Path) -> Path:
    done = _git(["rev-parse", "--show-toplevel"], root)
    if done.returncode != 0:
        raise DiffError(f"--diff needs a git repository, and {root} is not inside one")
    return Path(os.path.realpath(done.stdout.strip()))


def _is_shallow(top: Path) -> bool:
    return _git(["rev-parse", "--is-shallow-repository"], top).stdout.strip() == "true"


def _fetch_hint(ref: str, shallow: bool) -> str:
    if shallow:
        return ("this clone is shallow: fetch more history (with actions/checkout set "
                f"'fetch-depth: 0'; elsewhere run 'git fetch --unshallow') including {ref}")  # fmt: skip
    return f"fetch it first, for example 'git fetch origin {ref.removeprefix('origin/')}'"


def merge_base(ref: str, top: Path) -> str:
    """The merge-base of REF and HEAD, or a DiffError that says how to fix a shallow clone."""
    if ref.startswith("-"):  # never let a REF reach git as an option
        raise DiffError(f"--diff {ref}: expected a branch, tag or commit")
    if _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top).returncode != 0:
        hint = _fetch_hint(ref, _is_shallow(top))
        raise DiffError(f"--diff {ref}: no such branch, tag or commit here; {hint}")
    done = _git(["merge-base", ref, "HEAD"], top)
    if done.returncode == 0:
        return done.stdout.strip()
    if _is_shallow(top):
        hint = _fetch_hint(ref, True)
        raise DiffError(f"--diff {ref}: the merge-base of {ref} and HEAD is not in this clone; {hint}")
    raise DiffError(f"--diff {ref}: {ref} and HEAD have no common history")


def changed_code(ref: str, root: Path) -> ChangedCode:
    """Lines changed in the working tree since the merge-base of REF and HEAD, plus new files."""
    top = _toplevel(root)
    base = merge_base(ref, top)
    done = _git([*_DIFF, base, "--"], top)
    if done.returncode != 0:
        raise DiffError(f"--diff {ref}: git diff failed: {done.stderr.strip()}")
    files = {str(top / name): change for name, change in parse_diff(done.stdout)}
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top).stdout
    files.update({str(top / name): FileChange(whole=True) for name in untracked.split("\0") if name})
    return ChangedCode(base, files)


# -- reading ``git diff -U0`` --------------------------------------------------------------------


def parse_diff(text: str) -> list[tuple[str, FileChange]]:
    """(path relative to the repository, its change) for each file of a ``-U0`` patch."""
    found: list[tuple[str, FileChange]] = []
    path: str | None = None
    ranges: list[tuple[int, int]] = []
    gaps: list[int] = []
    for line in text.splitlines():
        if line.startswith("+++ "):
            if path is not None:
                found.append((path, FileChange(tuple(ranges), tuple(gaps))))
            path, ranges, gaps = _new_side(line[4:]), [], []
        elif line.startswith("@@ ") and path is not None:
            _add_hunk(line, ranges, gaps)
    if path is not None:
        found.append((path, FileChange(tuple(ranges), tuple(gaps))))
    return [(p, change) for p, change in found if p]


def _add_hunk(line: str, ranges: list[tuple[int, int]], gaps: list[int]) -> None:
    match = _HUNK.match(line)
    if match is None:
        return
    start, count = int(match.group(1)), int(match.group(2) or "1")
    if count:
        ranges.append((start, start + count - 1))
    else:  # only deletions: ``+start,0`` means "after line start"
        gaps.append(start)


def _new_side(name: str) -> str:
    """``b/path`` (C-quoted when odd characters are in it); "" for ``/dev/null``."""
    name = name.rstrip("\t")
    if name.startswith('"'):
        name = _unquote(name[1:-1])
    return name[2:] if name.startswith("b/") else ""


def _unquote(text: str) -> str:
    """Undo git's C-style quoting, whose octal escapes are UTF-8 bytes."""
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\":
            out += char.encode("utf-8", "surrogateescape")
            index += 1
        elif text[index + 1 : index + 2] in _ESCAPES:
            out.append(_ESCAPES[text[index + 1]])
            index += 2
        else:
            out.append(int(text[index + 1 : index + 4], 8))
            index += 4
    return out.decode("utf-8", "surrogateescape")


# -- gating only what changed --------------------------------------------------------------------


def _first_lines(files: Iterable[FileMetrics]) -> dict[tuple[str, int], int]:
    """(path, def line) -> the first decorator's line, so a decorator edit touches its function."""
    return {(f.path, fn.lineno): fn.first_lineno or fn.lineno for f in files for fn in f.functions}


def _touched(v: Violation, change: FileChange | None, first: Mapping[tuple[str, int], int]) -> bool:
    if change is None:
        return False
    rule = RULES_BY_CODE.get(v.rule)
    if rule is None or rule.scope is Scope.FILE:
        return True  # a file rule is touched by any change in the file
    return change.touches(first.get((v.path, v.line), v.line), v.end_line)


def apply(result: GateResult, changed: ChangedCode) -> GateResult:
    """Move offenders in code that did not change into ``result.informational``."""
    first = _first_lines(result.files)
    changes = {v.path: changed.change_of(v.path) for v in result.violations}
    kept: list[Violation] = []
    untouched: list[Violation] = []
    for v in result.violations:
        (kept if _touched(v, changes[v.path], first) else untouched).append(v)
    return replace(result, violations=tuple(kept), informational=(*result.informational, *untouched))
