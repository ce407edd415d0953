"""Sort imported top-level modules into stdlib, third-party and local."""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from qualitygate.metrics.stdlib_names import STDLIB
from qualitygate.models import Dependencies


@lru_cache(maxsize=4096)
def _is_local(name: str, roots: tuple[str, ...]) -> bool:
    for root in roots:
        folder = Path(root)
        if (folder / f"{name}.py").is_file() or (folder / name).is_dir():
            return True
    return False


def classify(imports: Iterable[str], roots: tuple[str, ...]) -> Dependencies:
    """Relative imports and modules found in a source root are local.

    ``roots`` are the folders themselves (``discovery.layout.source_roots``: the ``src`` key and
    the declared package folders). The stdlib is one fixed list, not the running Python's (issue 15).
    """
    stdlib: set[str] = set()
    third: set[str] = set()
    local: set[str] = set()
    for name in imports:
        if name.startswith("."):
            local.add(name)
        elif name in STDLIB:
            stdlib.add(name)
        elif _is_local(name, roots):
            local.add(name)
        else:
            third.add(name)
    return Dependencies(tuple(sorted(stdlib)), tuple(sorted(third)), tuple(sorted(local)))
