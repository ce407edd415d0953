"""Asking git for a window's commits, and reading ``git log -p --unified=0`` by its structure."""
from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from qualitygate.errors import QualityGateError
from qualitygate.gate.diff import HUNK, git_name, side

# Fixed options, so the user's git config (diff.noprefix, diff.relative, color, log.showSignature,
# textconv drivers...) cannot change the patch this module parses (as gate/diff.py does).
_CONFIG = ("-c", "core.quotepath=off", "-c", "log.showRoot=true", "-c", "log.showSignature=false")
_PATCH = ("-M", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv", "--no-relative",
          "--src-prefix=a/", "--dst-prefix=b/")  # fmt: skip
# Every Python file of the repository, whatever PATHS a run measures: a file moved into the
# measured folder keeps its history (-M pairs a rename only when both names are in the pathspec),
# and one cached history serves every PATHS of the same commit.
PATHSPEC = ":(top,glob)**/*.py"
# A line that starts with NUL is a commit header: no line of a patch can (body lines are skipped
# by their count, and every header line starts with a word). %P are the parents as rewritten by
# --parents: the nearest shown commits, past those that changed no Python file.
_FORMAT = "--format=%x00%H%x00%P%x00%aN%x00%ct"
# Variables that would make git read the pathspec above literally, or case-blind.
_PATHSPEC_VARIABLES = ("GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS",
                       "GIT_ICASE_PATHSPECS")  # fmt: skip


class ChurnError(QualityGateError):
    """No history to read: git is missing, the folder is not in a work tree, or git failed."""


class Hunk(NamedTuple):
    """One ``@@ -old_start,old_count +new_start,new_count @@`` line; a count of 0 means "after"."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int


class FilePatch(NamedTuple):
    """One file of a commit: its name before and after (None: created or deleted), its hunks."""

    old: str | None
    new: str | None
    hunks: tuple[Hunk, ...]


class Commit(NamedTuple):
    """A commit as the hotspots show it: committer time, as ``--since`` reads it."""

    sha: str
    author: str  # the author's name, through .mailmap
    time: int  # seconds since the epoch


class CommitPatch(NamedTuple):
    """A commit, its parents, and the Python files it changed (a merge's come from ``merge_patches``)."""

    commit: Commit
    parents: tuple[str, ...]
    files: tuple[FilePatch, ...]


class Repository(NamedTuple):
    """The work tree a run reads the history of."""

    top: Path
    head: str | None  # None before the first commit
    shallow: bool  # a shallow clone holds only part of the history


# -- asking git ----------------------------------------------------------------------------------


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _PATHSPEC_VARIABLES}


def _git(args: Sequence[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *_CONFIG, *args], cwd=cwd, env=_environment(), input=stdin,
                              capture_output=True, check=False)  # fmt: skip
    except FileNotFoundError:
        raise ChurnError("hotspots need git, and git was not found on PATH") from None
    except OSError as exc:
        raise ChurnError(f"cannot run git in {cwd}: {exc.strerror or exc}") from None


def _text(data: bytes) -> str:
    """Git's bytes as text; bytes that are not UTF-8 survive as surrogates (issue 12)."""
    return data.decode("utf-8", "surrogateescape")


def open_repository(folder: Path) -> Repository:
    """The work tree holding ``folder``, its HEAD commit and whether the clone is shallow."""
    done = _git(["rev-parse", "--show-toplevel", "--is-shallow-repository", "--verify", "--quiet",
                 "HEAD^{commit}"], folder)  # fmt: skip
    lines = _text(done.stdout).splitlines()
    if len(lines) < 2:
        reason = _text(done.stderr).strip().removeprefix("fatal: ") or "git rev-parse failed"
        raise ChurnError(f"hotspots read the git history, and {folder} is not in a git work tree ({reason})")
    head = lines[2] if done.returncode == 0 and len(lines) > 2 else None
    return Repository(Path(os.path.realpath(lines[0])), head, lines[1] == "true")


def log_patches(repo: Repository, since: int | None) -> Iterator[CommitPatch]:
    """Every commit of HEAD since ``since`` (seconds; None: all) that changed a Python file,
    children before parents, with the patch of each commit that is not a merge: one ``git log``,
    read as git writes it."""
    window = [f"--since=@{since}"] if since is not None else []
    # --topo-order: every commit comes after all of its children, so a replay from HEAD has the
    # line numbers of each of them before it reads the commit.
    args = ["git", *_CONFIG, "log", "--topo-order", "--parents", "--encoding=UTF-8", _FORMAT, "-p",
            *_PATCH, *window, "HEAD", "--", PATHSPEC]  # fmt: skip
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty stderr never blocks git
        try:
            process = subprocess.Popen(args, cwd=repo.top, env=_environment(),
                                       stdout=subprocess.PIPE, stderr=errors)  # fmt: skip
        except OSError as exc:
            raise ChurnError(f"cannot run git in {repo.top}: {exc.strerror or exc}") from None
        try:
            assert process.stdout is not None
            yield from parse_log(_text(raw).removesuffix("\n") for raw in process.stdout)
        finally:
            if process.poll() is None:  # the reader stopped early, or failed: stop git too
                process.kill()
            code = process.wait()
        if code != 0:
            errors.seek(0)
            raise ChurnError(f"git log failed in {repo.top}: {_text(errors.read()).strip()}")


def merge_patches(repo: Repository, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], tuple[FilePatch, ...]]:
    """(merge, parent) -> the merge's Python changes against that parent, from one
    ``git diff-tree --stdin`` for every pair: the line numbers of a merged branch's commits
    reach HEAD through them."""
    if not pairs:
        return {}
    lines = "".join(f"{merge} {parent}\n" for merge, parent in pairs).encode()
    # --always: a header for every pair, even an empty diff; the header names the pair.
    args = ["diff-tree", "--stdin", "--always", "-r", _FORMAT, "-p", *_PATCH, "--", PATHSPEC]
    done = _git(args, repo.top, lines)
    if done.returncode != 0:
        raise ChurnError(f"git diff-tree failed in {repo.top}: {_text(done.stderr).strip()}")
    found = parse_log(_text(done.stdout).split("\n"))  # only LF ends a line of a patch
    return {(patch.commit.sha, patch.parents[0]): patch.files for patch in found if patch.parents}


def worktree_patches(repo: Repository) -> tuple[FilePatch, ...]:
    """What changed in the work tree (staged or not) since HEAD, in the Python files."""
    if repo.head is None:
        return ()
    done = _git(["diff", *_PATCH, "HEAD", "--", PATHSPEC], repo.top)
    if done.returncode != 0:
        raise ChurnError(f"git diff failed in {repo.top}: {_text(done.stderr).strip()}")
    lines = _text(done.stdout).split("\n")  # only LF ends a line of a patch
    found = list(parse_log(["\0worktree\0\0\0", *lines]))
    return found[0].files if found else ()


# -- reading the patch ---------------------------------------------------------------------------


def parse_log(lines: Iterable[str]) -> Iterator[CommitPatch]:
    """Commits from ``git log -p -U0`` lines (without their LF), read by structure.

    A commit starts at a NUL line, a file at ``diff --git``, and each hunk's body is skipped by
    the counts of its ``@@`` line, so an added line reading ``+++ b/x.py`` or ``diff --git``
    stays a line of code (as ``gate.diff.parse_diff`` reads it).
    """
    commit: Commit | None = None
    parents: tuple[str, ...] = ()
    files: list[FilePatch] = []
    section: _Section | None = None
    old = new = 0
    for line in lines:
        if old > 0 or new > 0:
            old, new = _body_line(line, old, new)
        elif line.startswith("\0"):
            if commit is not None:
                _add(files, section)
                yield CommitPatch(commit, parents, tuple(files))
            (commit, parents), files, section = _commit(line), [], None
        elif line.startswith("diff --git "):
            _add(files, section)
            section = _Section(line[len("diff --git ") :])
        elif section is not None:
            old, new = section.read(line)
    if commit is not None:
        _add(files, section)
        yield CommitPatch(commit, parents, tuple(files))


def _body_line(line: str, old: int, new: int) -> tuple[int, int]:
    """The counts left after one line of a hunk body."""
    kind = line[:1]
    if kind == "-":
        return old - 1, new
    if kind == "+":
        return old, new - 1
    if kind == "\\":  # "\ No newline at end of file"
        return old, new
    return old - 1, new - 1  # context (not in -U0 output, but counted on both sides)


def _commit(line: str) -> tuple[Commit, tuple[str, ...]]:
    """A header line: NUL, the commit, NUL, its parents, NUL, author, NUL, time."""
    sha, parents, author, time = [*line.split("\0"), "", "", "", ""][1:5]
    return Commit(sha, author, int(time) if time.isdigit() else 0), tuple(parents.split())


def _add(files: list[FilePatch], section: _Section | None) -> None:
    """Append the file read so far to ``files``, when the section names one."""
    patch = section.patch() if section is not None else None
    if patch is not None:
        files.append(patch)


class _Section:
    """The header and hunks of one file, fed line by line after its ``diff --git`` line."""

    def __init__(self, names: str) -> None:
        self.old = self.new = _same_names(names)
        self.hunks: list[Hunk] = []

    def read(self, line: str) -> tuple[int, int]:
        """Take one line outside the hunk bodies; returns the body line counts of a hunk line."""
        match = HUNK.match(line)
        if match is not None:
            old_start, old_count, new_start, new_count = match.groups()
            hunk = Hunk(int(old_start), int(old_count or "1"), int(new_start), int(new_count or "1"))
            self.hunks.append(hunk)
            return hunk.old_count, hunk.new_count
        if not self.hunks:  # the header, before any hunk
            self._header(line)
        return 0, 0

    def _header(self, line: str) -> None:
        if line.startswith("--- "):
            self.old = side(line[4:], "a/")
        elif line.startswith("+++ "):
            self.new = side(line[4:], "b/")
        elif line.startswith("rename from "):
            self.old = git_name(line[len("rename from ") :])
        elif line.startswith("rename to "):
            self.new = git_name(line[len("rename to ") :])
        elif line.startswith("new file mode "):
            self.old = None
        elif line.startswith("deleted file mode "):
            self.new = None

    def patch(self) -> FilePatch | None:
        if self.old is None and self.new is None:
            return None
        return FilePatch(self.old, self.new, tuple(self.hunks))


def _same_names(names: str) -> str | None:
    """The name in ``a/NAME b/NAME`` when both halves agree (a mode change or binary file has no
    ``---`` line); None when the line is ambiguous or quoted."""
    length = (len(names) - 5) // 2
    name = names[2 : 2 + length]
    if names.startswith("a/") and names[2 + length :] == f" b/{name}" and name:
        return name
    return None
