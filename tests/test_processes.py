"""Workers end with their parent, SIGTERM stops a run as Ctrl-C does, -j is capped (issue 12):
real processes, real signals."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import STDLIB, subprocess_env

pytestmark = pytest.mark.skipif(not STDLIB.is_dir() or not Path("/proc").is_dir(),
                                reason="needs the stdlib folder and /proc")  # fmt: skip


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], set[int]]:
    """A long parallel run over the stdlib, once its workers are up."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qualitygate", "check", str(STDLIB), "--no-cache", "-f", "json:/dev/null", *extra],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(),
    )  # fmt: skip
    deadline = time.monotonic() + 30
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        workers = _children(proc.pid)
    assert len(workers) >= 2, "the pool never started"
    return proc, workers


def _gone(pids: set[int], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    """SIGKILL leaves no cleanup to the parent: the workers notice and leave, no orphans."""
    proc, workers = _start(tmp_path, "-j", "2")
    proc.kill()
    proc.communicate(timeout=30)
    try:
        assert _gone(workers), f"orphaned workers: {sorted(p for p in workers if _alive(p))}"
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_sigterm_stops_the_run_and_its_workers(tmp_path: Path) -> None:
    proc, workers = _start(tmp_path, "-j", "2")
    proc.terminate()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, (out, err)
    assert "Terminated" in err and "Traceback" not in err
    assert _gone(workers)


def test_a_huge_job_count_is_capped(tmp_path: Path) -> None:
    """-j 100000 runs with a few workers per CPU, never a fork per request."""
    proc, _ = _start(tmp_path, "-j", "100000")
    peak = 0
    while proc.poll() is None:
        peak = max(peak, len(_children(proc.pid)))
        time.sleep(0.05)
    proc.communicate(timeout=60)
    assert proc.returncode == 1  # the stdlib has offenders: it ran to the end
    assert 2 <= peak <= 4 * len(os.sched_getaffinity(0)) + 1  # + the pool's manager thread's helper
