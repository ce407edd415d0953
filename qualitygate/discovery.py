"""Paths -> a sorted list of Python files (include/exclude globs, .gitignore, default excludes)."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from qualitygate.errors import UsageError
from qualitygate.globs import compile_globs
from qualitygate.models import AnalysisError

DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", ".tox", ".nox", ".venv", "venv", "__pycache__",
        ".eggs", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache",
        ".qualitygate_cache", ".qualitygate", "build", "dist", "__pypackages__",
    }
)  # fmt: skip
PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Discovered:
    """The files to measure (sorted by display path) and the paths that could not be listed."""

    files: tuple[Path, ...]
    errors: tuple[AnalysisError, ...]


def display_path(path: Path, cwd: Path | None = None) -> str:
    """Relative to the working directory when under it, always with '/' separators."""
    cwd = cwd or Path.cwd()
    absolute = path if path.is_absolute() else cwd / path
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


class _Filter:
    """Decides which files are kept: include/exclude globs relative to the root, and .gitignore."""

    def __init__(self, root: Path, include: Iterable[str], exclude: Iterable[str], gitignore: bool):
        self.root = root
        include = list(include)
        self.include = compile_globs(include) if include else None
        self.exclude = compile_globs(exclude)
        self.gitignore = gitignore
        self._ignores: dict[Path, pathspec.PathSpec | None] = {}

    def _relative(self, path: Path) -> str | None:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return None

    def _gitignore_for(self, directory: Path) -> pathspec.PathSpec | None:
        if directory not in self._ignores:
            spec = None
            try:
                lines = (directory / ".gitignore").read_text(encoding="utf-8").splitlines()
                spec = pathspec.PathSpec.from_lines("gitignore", lines)
            except (OSError, UnicodeDecodeError, ValueError):
                spec = None
            self._ignores[directory] = spec
        return self._ignores[directory]

    def excluded(self, path: Path, is_dir: bool) -> bool:
        """True when an ``exclude`` glob matches ``path``."""
        relative = self._relative(path)
        return relative is not None and self.exclude.match_file(relative + ("/" if is_dir else ""))

    def git_ignored(self, path: Path, is_dir: bool) -> bool:
        """True when a .gitignore between the root and ``path`` matches it."""
        if not self.gitignore or self._relative(path) is None:
            return False
        suffix = "/" if is_dir else ""
        for directory in (path.parent, *path.parent.parents):
            spec = self._gitignore_for(directory)
            if spec is not None and spec.match_file(path.relative_to(directory).as_posix() + suffix):
                return True
            if directory == self.root:
                break
        return False

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Excluded by a glob or by a .gitignore."""
        return self.excluded(path, is_dir) or self.git_ignored(path, is_dir)

    def without_gitignore(self) -> _Filter:
        """The same filter for a folder the user named although .gitignore ignores it."""
        clone = _Filter.__new__(_Filter)
        clone.__dict__.update(self.__dict__, gitignore=False)
        return clone

    def included(self, path: Path) -> bool:
        """True when no include globs are set, or one matches."""
        if self.include is None:
            return True
        relative = self._relative(path)
        return relative is not None and self.include.match_file(relative)


def discover(
    paths: Iterable[Path],
    root: Path,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    gitignore: bool = True,
) -> Discovered:
    """List every Python file under ``paths``; a missing path is a usage error."""
    root = _absolute(root)
    found: dict[str, Path] = {}
    errors: list[AnalysisError] = []
    for given in paths:
        # Globs are relative to the project root; for a path outside it, to that path itself.
        base = root if _is_under(_absolute(given), root) or not Path(given).is_dir() else _absolute(given)
        keep = _Filter(base, include, exclude, gitignore)
        for path, error in _expand(Path(given), keep):
            if error is not None:
                errors.append(AnalysisError(display_path(path), None, error))
            elif keep.included(_absolute(path)) or _is_explicit(given, path):
                found.setdefault(display_path(path), path)
    ordered = tuple(found[key] for key in sorted(found))
    return Discovered(ordered, tuple(sorted(errors, key=lambda e: e.path)))


def _is_under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _absolute(path: Path) -> Path:
    """Absolute without resolving symlinks, so globs match the path the user sees."""
    return Path(os.path.abspath(path))


def _is_explicit(given: Path, path: Path) -> bool:
    return Path(given) == path


def _expand(given: Path, keep: _Filter) -> Iterator[tuple[Path, str | None]]:
    problem = _symlink_problem(given)
    if problem is not None:
        yield given, problem
        return
    if not os.path.lexists(given):
        raise UsageError(f"{given}: no such file or directory")
    absolute = _absolute(given)
    if given.is_dir():
        if absolute != keep.root and keep.excluded(absolute, is_dir=True):
            return
        # Naming a folder that .gitignore ignores means "measure it anyway", as git add -f does.
        yield from _walk(given, keep.without_gitignore() if keep.git_ignored(absolute, True) else keep)
    elif not keep.excluded(absolute, is_dir=False):
        yield given, None  # a file named explicitly (pre-commit passes tracked files) is kept


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


def _kept_dirs(here: Path, names: list[str], keep: _Filter) -> list[str]:
    return sorted(
        d
        for d in names
        if d not in DEFAULT_EXCLUDED_DIRS and not keep.ignored(_absolute(here / d), True)
    )


def _walk(top: Path, keep: _Filter) -> Iterator[tuple[Path, str | None]]:
    problems: list[tuple[Path, str]] = []

    def onerror(exc: OSError) -> None:
        problems.append((Path(exc.filename or top), f"cannot list directory: {exc.strerror}"))

    for dirpath, dirnames, filenames in os.walk(top, onerror=onerror, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = _kept_dirs(here, dirnames, keep)
        for name in sorted(n for n in filenames if n.endswith(PYTHON_SUFFIXES)):
            path = here / name
            problem = _symlink_problem(path)
            if problem is not None:
                yield path, problem
            elif not keep.ignored(_absolute(path), is_dir=False):
                yield path, None
        yield from problems
        problems.clear()
