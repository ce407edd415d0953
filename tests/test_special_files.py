"""State files that are not regular files (issue 12, item 12): a FIFO or a device where the config,
the baseline, a cache bucket or a shard report should be is refused by name, never waited on."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import subprocess_env

SOURCE = "def f(x):\n    return x\n"


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A real process with a deadline: a hang is a failure, not a stuck test run."""
    return subprocess.run([sys.executable, "-m", "qualitygate", *args], cwd=cwd, env=subprocess_env(),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.qualitygate]\n")
    (tmp_path / "a.py").write_text(SOURCE)
    return tmp_path


@pytest.mark.parametrize("config", ["fifo", "/dev/zero"])
def test_a_config_that_is_not_a_file_is_a_usage_error(root: Path, config: str) -> None:
    if config == "fifo":
        os.mkfifo(root / "qg.toml")
        config = "qg.toml"
    done = _run(root, "check", "--config", config, ".")
    assert done.returncode == 2
    assert f"{config}: cannot read config file: not a regular file" in done.stderr


def test_a_baseline_that_is_a_fifo_is_an_error_naming_it(root: Path) -> None:
    os.mkfifo(root / ".qualitygate-baseline.json")
    done = _run(root, "check", ".")
    assert done.returncode == 2
    assert ".qualitygate-baseline.json: cannot read the baseline: not a regular file" in done.stderr


def test_a_cache_bucket_that_is_a_fifo_is_a_warning_and_replaced(root: Path) -> None:
    first = _run(root, "check", "--format", "json", ".")
    (bucket,) = [p for p in root.glob(".qualitygate_cache/metrics-*/*.json") if p.name != "key.json"]
    bucket.unlink()
    os.mkfifo(bucket)
    again = _run(root, "check", "--format", "json", ".")
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    assert f"cannot read the cache file {bucket}" in again.stderr and "not a regular file" in again.stderr
    assert bucket.is_file()  # rewritten as a file: the next run is silent
    assert _run(root, "check", ".").stderr == ""


def test_a_shard_report_that_is_a_fifo_is_refused(root: Path) -> None:
    os.mkfifo(root / "shard.json")
    done = _run(root, "merge", "shard.json")
    assert done.returncode == 2 and "shard.json: cannot read report: not a regular file" in done.stderr
