"""Gitignore-style glob matching for include/exclude patterns and overrides."""
from __future__ import annotations

from collections.abc import Iterable

import pathspec


def compile_globs(patterns: Iterable[str]) -> pathspec.PathSpec:
    """Compile gitignore-style patterns; raise ValueError on a malformed one."""
    try:
        return pathspec.PathSpec.from_lines("gitignore", list(patterns))
    except Exception as exc:  # noqa: BLE001 - pathspec raises several types for bad patterns
        raise ValueError(str(exc)) from None
