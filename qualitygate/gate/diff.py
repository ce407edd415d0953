"""``--diff REF``: the lines changed since the merge-base with REF, and gating only those."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from qualitygate.errors import QualityGateError
from qualitygate.gate.rules import RULES_BY_CODE
from qualitygate.models import FileMetrics, GateResult, Scope, Violation
from qualitygate.paths import display_path

# A hunk header: old start, old count, new start, new count (a count of 1 is left out).
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
# Fixed options, so the user's git config (diff.noprefix, diff.relative, color...) cannot change
# the output this module parses.
# ``--text``: a file .gitattributes marks binary (``*_pb2.py -diff``) still shows its hunks.
_DIFF = ("diff", "-U0", "-M", "--text", "--no-color", "--no-ext-diff", "--no-textconv", "--no-relative",
         "--src-prefix=a/", "--dst-prefix=b/")  # fmt: skip


class DiffError(QualityGateError):
    """``--diff`` cannot work out what changed (no git, no repository, REF or merge-base missing)."""


@dataclass(frozen=True)
class FileChange:
    """The changed lines of one file on the working-tree side of ``git diff``."""

    ranges: tuple[tuple[int, int], ...] = ()  # added or modified lines, inclusive
    gaps: tuple[int, ...] = ()  # a deletion between line g and g + 1
    whole: bool = False  # a new file: every line counts as changed
    base_path: str = ""  # its path at the merge-base, from the repository's top; "" when new

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
    top: str = ""  # the repository's top folder (real path)
    removed: tuple[str, ...] = ()  # files deleted since the base, from the repository's top

    def change_of(self, path: str) -> FileChange | None:
        """The change of a report path (relative to the working directory), None if untouched.

        A report path is a display path: a name with a byte that is not UTF-8, or a backslash
        that reads like an escape, is spelled differently from the file's real name (issue 12),
        so the changed files are matched by that spelling too, never dropped as "not changed".
        """
        return self.files.get(os.path.realpath(path)) or self._by_display.get(path)

    @cached_property  # the fields are frozen: worked out once per run
    def _by_display(self) -> dict[str, FileChange]:
        return {display_path(Path(name)): change for name, change in self.files.items()}


# -- asking git ----------------------------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd,
                              capture_output=True, check=False)  # fmt: skip
    except FileNotFoundError:
        raise DiffError("--diff needs git, and git was not found on PATH") from None
    # Decoded by hand, not in text mode: universal newlines would turn a CR inside a changed
    # line into a line break and shift every hunk after it.
    return subprocess.CompletedProcess(done.args, done.returncode, _text(done.stdout), _text(done.stderr))


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


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
    patch = parse_diff(done.stdout)
    # A notebook's diff lines are lines of its JSON, not of the code measured from its cells:
    # a changed notebook counts as changed throughout (gating more, never hiding a change).
    files = {str(top / name): replace(change, whole=True) if name.endswith(".ipynb") else change
             for name, change in patch if name}  # fmt: skip
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top).stdout
    files.update({str(top / name): FileChange(whole=True) for name in untracked.split("\0") if name})
    removed = tuple(change.base_path for name, change in patch if not name and change.base_path)
    return ChangedCode(base, files, str(top), removed)


# -- reading ``git diff -U0`` --------------------------------------------------------------------


def parse_diff(text: str) -> list[tuple[str, FileChange]]:
    """(path relative to the repository, its change) for each file of a ``-U0`` patch; the path
    is "" for a deleted file (its ``base_path`` names it).

    Read by its structure, never by line prefixes alone: a file starts at ``diff --git``, its
    name is the ``+++`` line of that header, and each hunk's body is skipped by the line counts
    of its ``@@`` line, so an added line that reads ``++ b/other.py`` stays a line of code.
    """
    found: list[tuple[str, FileChange]] = []
    lines = text.split("\n")  # only LF ends a line of a patch; CR and the rest are content
    index = 0
    while index < len(lines):
        if lines[index].startswith("diff --git "):
            path, change, index = _file_section(lines, index + 1)
            if path or change.base_path:
                found.append((path, change))
        else:
            index += 1
    return found


def _file_section(lines: list[str], index: int) -> tuple[str, FileChange, int]:
    """One file of the patch from after its ``diff --git`` line: (new path, change, next index)."""
    path = old_path = ""
    ranges: list[tuple[int, int]] = []
    gaps: list[int] = []
    while index < len(lines) and not lines[index].startswith("diff --git "):
        line = lines[index]
        match = HUNK.match(line)
        if match is not None:
            _add_hunk(match, ranges, gaps)
            index = _after_body(lines, index + 1, int(match.group(2) or "1"), int(match.group(4) or "1"))
            continue
        if not (ranges or gaps):  # the header, before any hunk
            path, old_path = _header(line, path, old_path)
        index += 1
    return path, FileChange(tuple(ranges), tuple(gaps), base_path=old_path), index


def _header(line: str, path: str, old_path: str) -> tuple[str, str]:
    """(new path, old path) after one header line: ``+++`` names the new side, ``---`` the old."""
    if line.startswith("+++ "):
        return side(line[4:], "b/") or "", old_path
    if line.startswith("--- "):
        return path, side(line[4:], "a/") or ""
    return path, old_path


def _after_body(lines: list[str], index: int, old: int, new: int) -> int:
    """The index after a hunk body holding ``old`` removed and ``new`` added (or context) lines."""
    while (old > 0 or new > 0) and index < len(lines):
        kind = lines[index][:1]
        if kind == "-":
            old -= 1
        elif kind == "+":
            new -= 1
        elif kind != "\\":  # context (not in -U0 output, but counted on both sides)
            old, new = old - 1, new - 1
        index += 1
    return index


def _add_hunk(match: re.Match[str], ranges: list[tuple[int, int]], gaps: list[int]) -> None:
    start, count = int(match.group(3)), int(match.group(4) or "1")
    if count:
        ranges.append((start, start + count - 1))
    else:  # only deletions: ``+start,0`` means "after line start"
        gaps.append(start)


def side(name: str, prefix: str) -> str | None:
    """``a/path`` or ``b/path`` of a patch header, C-quoted or not; None for ``/dev/null``."""
    name = git_name(name.rstrip("\t"))
    return name[len(prefix) :] if name.startswith(prefix) else None


def git_name(name: str) -> str:
    """A path as git prints it: C-quoted (``"odd\\tname"``) when odd characters are in it."""
    return _unquote(name[1:-1]) if name.startswith('"') and name.endswith('"') else name


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
