"""Sharding: a stable 1/N slice of the files, chosen by a hash of each path (issue 5)."""
from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from qualitygate.models import AnalysisError
from qualitygate.paths import root_relative

T = TypeVar("T")


def shard_of(key: str, count: int) -> int:
    """The 1-based shard of a path: the same on every machine, run and Python version.

    A hash (not ``hash()``, which is salted per process) spreads files evenly, and a file keeps
    its shard when others are added or removed, so a shard's cache stays warm.
    """
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


def select(items: Sequence[T], paths: Sequence[str | Path], shard: tuple[int, int], root: Path) -> list[T]:
    """The items whose path falls in shard ``K/N``; ``paths[i]`` is the path of ``items[i]``."""
    index, count = shard
    root = Path(os.path.abspath(root))
    return [item for item, path in zip(items, paths, strict=True) if shard_of(root_relative(path, root), count) == index]


def select_errors(errors: Sequence[AnalysisError], shard: tuple[int, int], root: Path) -> list[AnalysisError]:
    """Discovery errors are sharded like files, so a merge reports each exactly once."""
    return select(errors, [error.path for error in errors], shard, root)
