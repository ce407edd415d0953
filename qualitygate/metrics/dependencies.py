"""Sort imported top-level modules into stdlib, third-party and local."""
from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from qualitygate.models import Dependencies

STDLIB = frozenset(sys.stdlib_module_names)


@lru_cache(maxsize=4096)
def _is_local(name: str, roots: tuple[str, ...]) -> bool:
    for root in roots:
        base = Path(root)
        for folder in (base, base / "src"):
            if (folder / f"{name}.py").is_file() or (folder / name).is_dir():
                return True
    return False


def classify(imports: Iterable[str], roots: tuple[str, ...]) -> Dependencies:
    """Relative imports and modules found in a root (or its src/) are local."""
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
