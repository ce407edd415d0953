"""Per-path thresholds: ``[[tool.qualitygate.overrides]]`` tables, applied in order, last match wins."""
from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from qualitygate.discovery.globs import compile_globs
from qualitygate.errors import ConfigError
from qualitygate.gate.rules import Thresholds

# The keys an override may set besides ``paths``: the thresholds, and nothing that changes
# what is measured (a per-path ``exclude`` would make discovery depend on overrides).
THRESHOLD_KEYS = (
    "complexity_threshold",
    "cognitive_complexity_threshold",
    "maintainability_threshold",
    "function_maintainability_threshold",
)


class Override(NamedTuple):
    """One ``[[tool.qualitygate.overrides]]`` table."""

    paths: tuple[str, ...]  # gitignore-style globs, relative to the project root
    values: tuple[tuple[str, float], ...]  # (threshold key, value) in the order written


def root_relative(path: str, root: Path) -> str:
    """A report path (relative to the working directory) as a '/' path relative to ``root``."""
    absolute = os.path.abspath(path)
    relative = _under(absolute, root)
    if relative is None:  # maybe reached through a symlinked folder (the root is resolved)
        folder, name = os.path.split(absolute)
        relative = _under(os.path.join(_real_folder(folder), name), root)
    # Outside the project, globs and the baseline see the full path.
    return relative if relative is not None else absolute.replace(os.sep, "/")


def _under(path: str, root: Path) -> str | None:
    prefix = os.path.join(str(root), "")
    return path[len(prefix) :].replace(os.sep, "/") if path.startswith(prefix) else None


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    """Cached per folder: a run asks once per file, and realpath costs a syscall per part."""
    return os.path.realpath(folder)


def parse_overrides(tables: Any, path: Path, prefix: str) -> tuple[Override, ...]:
    """Validate every table like the rest of the config; ``prefix`` is the dotted key."""
    return tuple(_parse_one(table, path, f"{prefix}[{index}]") for index, table in enumerate(tables))


def _parse_one(table: Mapping[str, Any], path: Path, prefix: str) -> Override:
    from qualitygate.config import KEYS, _unknown_key_message

    allowed = {"paths": None, **{key: None for key in THRESHOLD_KEYS}}
    for key, value in table.items():
        if key not in allowed:
            raise ConfigError(_unknown_key_message(path, prefix, key, allowed))
        check, expected = KEYS[key] if key != "paths" else (_is_glob_list, "a non-empty list of globs")
        if not check(value):
            raise ConfigError(
                f"{path}: {prefix}.{key}: expected {expected}, got {type(value).__name__} {value!r}"
            )
    if "paths" not in table:
        raise ConfigError(f'{path}: {prefix}.paths: missing; each override needs paths = ["glob", ...]')
    for pattern in table["paths"]:
        _check_pattern(path, f"{prefix}.paths", pattern)
    values = tuple((key, table[key]) for key in table if key != "paths")
    return Override(tuple(table["paths"]), values)


def _is_glob_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _check_pattern(path: Path, dotted: str, pattern: str) -> None:
    from qualitygate.config import _check_glob

    # gitignore syntax reads these as "no pattern", so the override would silently match nothing.
    if not pattern.strip() or pattern.lstrip().startswith("#"):
        raise ConfigError(f"{path}: {dotted}: bad glob {pattern!r}: it matches no path")
    _check_glob(path, dotted, pattern)


class PathThresholds:
    """The thresholds for each file: the settings', then every matching override in order."""

    def __init__(self, base: Thresholds, overrides: tuple[Override, ...], root: Path) -> None:
        self.base = base
        self.root = root
        self.rules = [(compile_globs(o.paths), dict(o.values)) for o in overrides]

    def for_path(self, path: str) -> Thresholds:
        """``path`` as reports show it; later overrides win over earlier ones."""
        if not self.rules:
            return self.base
        relative = root_relative(path, self.root)
        thresholds = self.base
        for spec, values in self.rules:
            if spec.match_file(relative):
                thresholds = thresholds._replace(**values)
        return thresholds
