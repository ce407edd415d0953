"""The project's source roots: the ``src`` key plus the package folders its build config declares."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from qualitygate.paths import read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on old interpreters
    import tomli as tomllib

# ruff's default ``src``: the project root and its src/ (what qualitygate looked in before the key).
DEFAULT_SRC = (".", "src")


def source_roots(root: Path, src: tuple[str, ...] = DEFAULT_SRC) -> tuple[str, ...]:
    """The folders an absolute import may resolve to a local module in, as absolute paths.

    ``src`` first (relative to ``root``, as ruff reads it), then the folders the root's
    pyproject.toml and setup.cfg declare packages in (issue 15, item 4: SQLAlchemy keeps its
    package under lib/), in a fixed order and without repeats, so the cache key is stable.
    """
    found = [*src, *declared_folders(root)]
    return tuple(dict.fromkeys(os.path.normpath(os.path.join(root, folder)) for folder in found))


def declared_folders(root: Path) -> list[str]:
    """Package folders declared by setuptools, hatch, poetry or uv, relative to ``root``."""
    tool = _table(_read_pyproject(root / "pyproject.toml"), "tool")
    folders = [
        *_setuptools(_table(tool, "setuptools")),
        *_hatch(_table(tool, "hatch")),
        *_poetry(_table(tool, "poetry")),
        *_uv(_table(tool, "uv")),
        *_setup_cfg(root / "setup.cfg"),
    ]
    return [folder for folder in folders if isinstance(folder, str) and folder.strip() and "\0" not in folder]


def _read_pyproject(path: Path) -> Mapping[str, Any]:
    """The document, or empty: another tool's table is not ours to fail the gate on."""
    try:
        return tomllib.loads(read_regular(path).decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return {}


def _table(data: object, key: str) -> Mapping[str, Any]:
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _package_dir(mapping: Mapping[str, Any]) -> Iterator[str]:
    """``package-dir``: ``"" = "src"`` roots every package there; ``pkg = "lib/pkg"`` roots lib/."""
    for package, folder in mapping.items():
        if not isinstance(folder, str):
            continue
        if package == "":
            yield folder
        elif "." not in package and Path(folder).name == package:
            yield str(Path(folder).parent)


def _setuptools(table: Mapping[str, Any]) -> Iterator[str]:
    yield from _package_dir(_table(table, "package-dir"))
    yield from _strings(_table(_table(table, "packages"), "find").get("where"))


def _hatch(table: Mapping[str, Any]) -> Iterator[str]:
    # ``packages = ["src/foo"]`` ships the folder src/foo as the package foo.
    build = _table(table, "build")
    for packages in (build.get("packages"), _table(_table(build, "targets"), "wheel").get("packages")):
        yield from (str(Path(package).parent) for package in _strings(packages))


def _poetry(table: Mapping[str, Any]) -> Iterator[str]:
    packages = table.get("packages")
    for entry in packages if isinstance(packages, list) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("include"), str):
            yield entry.get("from", ".")


def _uv(table: Mapping[str, Any]) -> Iterator[str]:
    backend = _table(table, "build-backend")
    if "module-root" in backend:
        yield backend["module-root"]


def _setup_cfg(path: Path) -> Iterator[str]:
    """setup.cfg's ``[options] package_dir = =lib`` and ``[options.packages.find] where``."""
    if not path.is_file():
        return
    import configparser  # only for projects that still keep a setup.cfg

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(read_regular(path).decode("utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return
    lines = parser.get("options", "package_dir", fallback="").splitlines()
    pairs = (line.partition("=") for line in lines if "=" in line)
    yield from _package_dir({package.strip(): folder.strip() for package, _, folder in pairs})
    yield from parser.get("options.packages.find", "where", fallback="").split()
