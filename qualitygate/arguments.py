"""Command-line values that need no click: where config is looked up, shards, globs, stdin."""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from qualitygate.errors import UsageError

if TYPE_CHECKING:
    from qualitygate.config import Settings
    from qualitygate.measure import StdinSource

STDIN = Path("-")


def _start_dir(paths: Sequence[Path]) -> Path:
    """Where to look for pyproject.toml: the deepest folder holding every given path."""
    if not paths:
        return Path.cwd()
    absolute = [os.path.abspath(p) for p in paths]
    common = Path(os.path.commonpath(absolute))
    return common if common.is_dir() else common.parent


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` with 1 <= K <= N, else a usage error."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise UsageError(f"--shard {text}: expected K/N with 1 <= K <= N, for example 2/4")
    return int(k), int(n)


def load(config: Path | None, paths: Sequence[Path], **overrides: object) -> Settings:
    """Settings from the config file, with command-line overrides on top."""
    from qualitygate.config import load_settings

    return load_settings(config, _start_dir(paths)).with_overrides(**overrides)


def globs(option: str, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The patterns of a repeatable glob option, each checked like the config's (issue 16)."""
    from qualitygate.discovery.globs import check_glob

    for pattern in patterns:
        try:
            check_glob(pattern)
        except ValueError as exc:
            raise UsageError(f"{option}: bad glob {exc}") from None  # exc names the pattern
    return patterns


def stdin_source(paths: Sequence[Path], stdin_filename: Path | None) -> StdinSource | None:
    """``check -`` (issue 16): the source on standard input and the path it stands for, or None
    when the paths are files. ``--stdin-filename`` alone reads standard input too, as in ruff."""
    if STDIN not in paths and stdin_filename is None:
        return None
    if any(p != STDIN for p in paths):
        raise UsageError("'-' reads one source from standard input: give no other path with it")
    from qualitygate.measure import StdinSource

    # Without --stdin-filename the source is named '-' in reports, as ruff and flake8 name it.
    return StdinSource(stdin_filename or STDIN, sys.stdin.buffer.read())


def check_combinations(stdin: bool, diff_ref: str | None, shard: str | None, fail_on_worse: bool) -> None:
    """``check`` options that cannot go together, as usage errors before anything is measured."""
    if stdin and (diff_ref or shard):
        raise UsageError("--diff and --shard measure files; they do not apply to '-' (standard input)")
    if fail_on_worse and not diff_ref:
        raise UsageError("--fail-on-worse compares with the merge-base: give --diff REF too")
