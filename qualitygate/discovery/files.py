"""Paths -> the sorted Python files and notebooks to measure (globs, .gitignore, default excludes)."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from qualitygate.discovery.globs import GlobSet, compile_globs
from qualitygate.errors import UsageError
from qualitygate.models import AnalysisError
from qualitygate.paths import printable, raw_display_path

DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", ".tox", ".nox", ".venv", "venv", "__pycache__",
        ".eggs", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".qualitygate_cache", ".qualitygate", "build", "dist", "__pypackages__",
    }
)  # fmt: skip
PYTHON_SUFFIXES = (".py", ".pyi")
# Jupyter notebooks: their code cells are measured (issue 15); ``notebooks = false`` excludes them.
NOTEBOOK_SUFFIX = ".ipynb"
MEASURED_SUFFIXES = (*PYTHON_SUFFIXES, NOTEBOOK_SUFFIX)

# The .gitignore files that apply inside a folder: (where the part of a root-relative path that is
# relative to the .gitignore's own folder starts, its patterns).
_Ignores = tuple[tuple[int, GlobSet], ...]
# (display path, path, problem): one found file when problem is None, else one error.
_Item = tuple[str, Path, str | None]


class Discovered(NamedTuple):
    """The files to measure (sorted by display path) and the paths that could not be listed."""

    files: tuple[Path, ...]
    errors: tuple[AnalysisError, ...]
    shown: tuple[str, ...] = ()  # each file's display path, in the same order (as reports show it)


class _Folder(NamedTuple):
    """A folder to list: its path as os.walk spells it, its path relative to the filter root."""

    path: str
    relative: str
    ignores: _Ignores  # the .gitignore files of the folders above it, up to the root


class _Filter:
    """Decides which files are kept: include/exclude globs relative to the root, and .gitignore."""

    def __init__(self, root: Path, include: Iterable[str], exclude: Iterable[str], gitignore: bool):
        self.root = root
        include = list(include)
        self.include = compile_globs(include) if include else None
        self.exclude = compile_globs(exclude)
        self.gitignore = gitignore
        self._ignores: dict[Path, GlobSet | None] = {}

    def relative(self, path: Path) -> str | None:
        """``path`` relative to the root with '/' separators ('.' for the root), or None outside it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return None

    def _gitignore_for(self, directory: Path) -> GlobSet | None:
        if directory not in self._ignores:
            self._ignores[directory] = _read_gitignore(os.path.join(directory, ".gitignore"))
        return self._ignores[directory]

    def _specs_above(self, path: Path) -> Iterator[tuple[Path, GlobSet]]:
        """The .gitignore files from the folder holding ``path`` up to the root, nearest first."""
        for directory in (path.parent, *path.parent.parents):
            spec = self._gitignore_for(directory)
            if spec is not None:
                yield directory, spec
            if directory == self.root:
                break

    def excluded(self, path: Path, is_dir: bool) -> bool:
        """True when an ``exclude`` glob matches ``path``."""
        relative = self.relative(path)
        return relative is not None and self._excluded(relative, is_dir)

    def _excluded(self, relative: str, is_dir: bool) -> bool:
        return self.exclude.match_file(relative + "/" if is_dir else relative)

    def git_ignored(self, path: Path, is_dir: bool) -> bool:
        """True when a .gitignore between the root and ``path`` matches it."""
        if not self.gitignore or self.relative(path) is None:
            return False
        suffix = "/" if is_dir else ""
        return any(
            spec.match_file(path.relative_to(directory).as_posix() + suffix)
            for directory, spec in self._specs_above(path)
        )

    def ignores_above(self, folder: Path) -> _Ignores:
        """The .gitignore files that apply to ``folder``'s entries, but its own."""
        if not self.gitignore or folder == self.root:
            return ()
        above = self._specs_above(folder)
        return tuple((_offset(self.relative(d) or "."), spec) for d, spec in above)

    def own_ignores(self, folder: _Folder, names: Iterable[str]) -> _Ignores:
        """``folder``'s own .gitignore, read only when its listing has one."""
        if not self.gitignore or ".gitignore" not in names:
            return ()
        spec = _read_gitignore(os.path.join(folder.path, ".gitignore"))
        return () if spec is None else ((_offset(folder.relative), spec),)

    def ignored(self, relative: str, ignores: _Ignores, is_dir: bool) -> bool:
        """Excluded by a glob, or matched by one of the ``ignores`` (root-relative ``relative``)."""
        if self._excluded(relative, is_dir):
            return True
        suffix = "/" if is_dir else ""
        return any(spec.match_file(relative[start:] + suffix) for start, spec in ignores)

    def without_gitignore(self) -> _Filter:
        """The same filter for a folder the user named although .gitignore ignores it."""
        clone = _Filter.__new__(_Filter)
        clone.__dict__.update(self.__dict__, gitignore=False)
        return clone

    def included(self, relative: str) -> bool:
        """True when no include globs are set, or one matches the root-relative path."""
        return self.include is None or self.include.match_file(relative)


def _read_gitignore(file: str) -> GlobSet | None:
    try:
        with open(file, encoding="utf-8") as stream:
            return compile_globs(stream.read().splitlines(), skip_malformed=True)
    except (OSError, UnicodeDecodeError):
        return None


def _offset(relative: str) -> int:
    """Where the part below a folder starts in a root-relative path inside it."""
    return 0 if relative == "." else len(relative) + 1


def _join(parent: str, name: str) -> str:
    """``parent/name`` for '/'-separated paths, where '.' is the empty path."""
    if parent == ".":
        return name
    return parent + name if parent.endswith("/") else f"{parent}/{name}"


def discover(
    paths: Iterable[Path],
    root: Path,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    gitignore: bool = True,
) -> Discovered:
    """List every Python file under ``paths``; a missing path is a usage error."""
    root = _absolute(root)
    found: dict[str, tuple[str, Path]] = {}  # real path -> (display path, path as given)
    errors: list[AnalysisError] = []
    real_path = _RealPaths()
    for given in map(Path, paths):
        # Globs are relative to the project root; for a path outside it, to that path itself.
        base = root if _is_under(_absolute(given), root) or not given.is_dir() else _absolute(given)
        for shown, path, problem in _expand(given, _Filter(base, include, exclude, gitignore)):
            if problem is not None:
                errors.append(AnalysisError(printable(shown), None, problem))
            else:
                # One file is one file, however it was named (d and d/../d, a symlink to it):
                # identity is the real path, never the printed one (issue 12).
                _keep_one(found, real_path(path), (printable(shown), path))
    listed = sorted(found.values())
    names = tuple(shown for shown, _ in listed)
    return Discovered(tuple(path for _, path in listed), tuple(sorted(errors, key=lambda e: e.path)), names)


class _RealPaths:
    """``os.path.realpath`` of files, resolving each folder once: a file that is no symlink is
    its folder's real path joined with its name (a stdlib run resolves 90 folders, not 734 files)."""

    def __init__(self) -> None:
        self.folders: dict[str, str] = {}

    def __call__(self, path: Path) -> str:
        text = os.fspath(path)
        folder, name = os.path.split(text)
        if not name or name in (".", "..") or os.path.islink(text):
            return os.path.realpath(text)
        if folder not in self.folders:
            self.folders[folder] = os.path.realpath(folder or ".")
        return os.path.join(self.folders[folder], name)


def _keep_one(found: dict[str, tuple[str, Path]], real: str, named: tuple[str, Path]) -> None:
    """Of the names of one file, keep the same one whatever the walk's order: not a symlink
    if it can, then the shortest, then the first in sort order."""
    def rank(item: tuple[str, Path]) -> tuple[bool, int, str]:
        return (item[1].is_symlink(), len(item[0]), item[0])

    if real not in found or rank(named) < rank(found[real]):
        found[real] = named


def _is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _absolute(path: Path) -> Path:
    """Absolute without resolving symlinks, so globs match the path the user sees."""
    return Path(os.path.abspath(path))


def _expand(given: Path, keep: _Filter) -> Iterator[_Item]:
    problem = _symlink_problem(given)
    if problem is not None:
        yield raw_display_path(given), given, problem
        return
    if not os.path.lexists(given):
        raise UsageError(f"{given}: no such file or directory")
    absolute = _absolute(given)
    if given.is_dir():
        if absolute != keep.root and keep.excluded(absolute, is_dir=True):
            return
        # Naming a folder that .gitignore ignores means "measure it anyway", as git add -f does.
        ignored = keep.git_ignored(absolute, is_dir=True)
        yield from _walk(given, keep.without_gitignore() if ignored else keep)
    elif not keep.excluded(absolute, is_dir=False):
        # A file named explicitly (pre-commit passes tracked files) is kept whatever the include globs.
        yield raw_display_path(given), given, None


def _loop_or(exc: OSError, fallback: str) -> str:
    import errno

    return "symlink loop" if exc.errno == errno.ELOOP else f"{fallback}: {exc.strerror or exc}"


def _symlink_problem(path: Path) -> str | None:
    """Why a symlink cannot be followed (a loop, a dangling target), or None."""
    if not path.is_symlink():
        return None
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return "symlink loop"
    except OSError as exc:
        return _loop_or(exc, "broken symlink")
    return None


def _walk(top: Path, keep: _Filter) -> Iterator[_Item]:
    """os.walk's rules (symlinked folders are not entered) on one scandir per folder."""
    absolute = _absolute(top)
    relative = keep.relative(absolute) or "."  # walks stay under the root: never None
    pending = [_Folder(os.fspath(top), relative, keep.ignores_above(absolute))]
    while pending:  # the order does not matter: discover sorts, and each file is found once
        folder = pending.pop()
        try:
            with os.scandir(folder.path) as listing:
                entries = list(listing)
        except OSError as exc:
            unlisted = Path(exc.filename or top)
            yield raw_display_path(unlisted), unlisted, f"cannot list directory: {exc.strerror}"
            continue
        ignores = folder.ignores + keep.own_ignores(folder, (entry.name for entry in entries))
        yield from _python_files(folder, entries, ignores, keep)
        pending.extend(_subfolders(folder, entries, ignores, keep))


def _python_files(
    folder: _Folder, entries: Sequence[os.DirEntry[str]], ignores: _Ignores, keep: _Filter
) -> Iterator[_Item]:
    files = [e for e in entries if e.name.endswith(MEASURED_SUFFIXES) and not _is_dir(e)]
    if not files:
        return
    here = Path(folder.path)
    shown = raw_display_path(here)
    for entry in files:
        path = here / entry.name
        problem = _symlink_problem(path) if _is_link(entry) else None
        if problem is not None:
            yield _join(shown, entry.name), path, problem
            continue
        relative = _join(folder.relative, entry.name)
        if not keep.ignored(relative, ignores, is_dir=False) and keep.included(relative):
            yield _join(shown, entry.name), path, None


def _subfolders(
    folder: _Folder, entries: Sequence[os.DirEntry[str]], ignores: _Ignores, keep: _Filter
) -> Iterator[_Folder]:
    for entry in entries:
        if entry.name in DEFAULT_EXCLUDED_DIRS or not _is_dir(entry) or _is_link(entry):
            continue
        relative = _join(folder.relative, entry.name)
        if not keep.ignored(relative, ignores, is_dir=True):
            yield _Folder(os.path.join(folder.path, entry.name), relative, ignores)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """A folder or a symlink to one; DirEntry knows from d_type without a stat for non-links."""
    try:
        return entry.is_dir()
    except OSError:  # as os.walk: what cannot be stat'ed is not a folder
        return False


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:  # as os.path.islink
        return False
