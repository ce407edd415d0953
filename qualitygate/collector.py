"""Python's cyclic garbage collector, run less often by the command line and the pool's workers.

Measuring a file builds its syntax tree, hundreds of thousands of objects the collector tracks,
and frees them by reference counting: none is ever cyclic garbage. At Python's default threshold
(a young collection every 700 allocations) each of the two workers of a cold run on the stdlib
ran about 1,380 collections, 10 of them full, for 0.25 s of its 2.2 s of CPU (11%), and freed
nothing. At THRESHOLD each ran one, for 0.013 s; the main process went from 0.070 s to 0.033 s
and a warm run from 0.05 s of 0.52 s to 0.012 s (gc.callbacks timings, 2026-12-04; whole runs:
docs/design.md, "Process tricks"). Cycles are still collected, only later.

Only the ``qualitygate`` command and its workers call this: a program that imports qualitygate as
a library keeps its own collector settings.
"""
from __future__ import annotations

import gc

THRESHOLD = 50_000  # net new tracked objects between young collections (Python's default: 700)


def collect_less_often() -> None:
    """Raise the young generation's threshold to THRESHOLD; the older ones keep theirs."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(THRESHOLD, middle, old)
