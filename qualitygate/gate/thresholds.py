"""Per-path thresholds: ``[[tool.qualitygate.overrides]]`` tables, applied in order, last match wins."""
from __future__ import annotations

from pathlib import Path

from qualitygate.config import Override
from qualitygate.discovery.globs import compile_globs
from qualitygate.gate.rules import Thresholds
from qualitygate.paths import root_relative


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
