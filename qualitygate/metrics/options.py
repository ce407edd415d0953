"""MetricOptions on its own, so a warm cached run can key the cache without importing radon."""
from __future__ import annotations

from typing import NamedTuple


class MetricOptions(NamedTuple):
    """Everything that changes what is measured (and so keys the cache)."""

    enable_dependency_analysis: bool = True
    local_roots: tuple[str, ...] = ()
    max_file_bytes: int = 10 * 1024 * 1024
    count_asserts: bool = True  # each assert adds 1 to CC, as in radon (issue 15)
