"""The command line and the pool's workers run the cyclic collector less often; a program that
imports qualitygate as a library keeps its own settings (qualitygate/collector.py)."""
from __future__ import annotations

import gc
import multiprocessing
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

from qualitygate.collector import THRESHOLD
from qualitygate.metrics import pool

from .conftest import subprocess_env


def _threshold() -> int:
    return gc.get_threshold()[0]


def test_a_worker_started_without_fork_raises_the_threshold_itself() -> None:
    # spawn: nothing inherited from this process, so the value comes from the initializer.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=pool._worker_init) as executor:
        assert executor.submit(_threshold).result(timeout=120) == THRESHOLD
    assert THRESHOLD > 700  # Python's default: raising it is the point


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=subprocess_env(), timeout=120, check=True)  # fmt: skip
    return done.stdout.strip()


def test_the_command_line_raises_it_and_the_library_does_not() -> None:
    command = ("import gc, sys; sys.argv = ['qualitygate', '--version']\n"
               "from qualitygate.__main__ import main\nmain()\nprint(gc.get_threshold()[0])")  # fmt: skip
    assert _run(command).splitlines()[-1] == str(THRESHOLD)
    library = "import gc, qualitygate.api, qualitygate.metrics.pool; print(gc.get_threshold()[0])"
    assert _run(library) == "700"
