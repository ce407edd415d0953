"""The one atomic-write helper behind the cache, the baseline, the AI cache and applied patches."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from qualitygate.store.atomic import write_atomic


def test_replaces_content_readable_by_others_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_keeps_line_endings_untouched_with_empty_newline(tmp_path: Path) -> None:
    target = tmp_path / "mod.py"
    write_atomic(target, "a = 1\r\nb = 2\r\n", mode=0o600, newline="")
    assert target.read_bytes() == b"a = 1\r\nb = 2\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_failure_keeps_the_old_file_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "bad \udcff surrogate")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_report_that_fails_midway_keeps_the_previous_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk or an interrupted run leaves the old report whole, not a cut one (issue 12)."""
    from qualitygate.errors import UsageError
    from qualitygate.models import GateResult
    from qualitygate.outputs import write

    target = tmp_path / "report.json"
    target.write_text("the previous report\n")

    def half_then_full(result, stream, context) -> None:  # type: ignore[no-untyped-def]
        stream.write("{" * 100_000)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write, "get_reporter", lambda name: half_then_full)
    with pytest.raises(UsageError, match="No space left on device"):
        write.write_outputs(GateResult((), (), ()), [write.OutputSpec("json", target)], None)  # type: ignore[arg-type]
    assert target.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_device_is_written_in_place_never_replaced(tmp_path: Path) -> None:
    """``--format json:/dev/null`` must not swap the device node for a file."""
    from qualitygate.store.atomic import atomic_text

    before = Path("/dev/null").stat()
    with atomic_text(Path("/dev/null"), devices_in_place=True) as stream:
        stream.write("discarded")
    after = Path("/dev/null").stat()
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_stdout_that_cannot_be_written_is_exit_2_with_a_message(tmp_path: Path) -> None:
    """``check > /dev/full`` (a real full device, a real process): exit 2, never a traceback."""
    import subprocess
    import sys

    if not Path("/dev/full").exists():
        pytest.skip("this system has no /dev/full")
    (tmp_path / "a.py").write_text("def f(x):\n    return x\n")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "qualitygate", "check", "--no-cache", "."],
                              cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "cannot write the report" in done.stderr and "Traceback" not in done.stderr


def test_a_report_through_a_symlink_writes_its_file_and_keeps_the_link(tmp_path: Path) -> None:
    """Atomic replacement must not swap a symlink for a file (issue 12 review)."""
    (tmp_path / "reports").mkdir()
    real = tmp_path / "reports" / "real.json"
    real.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_the_umask_is_respected(tmp_path: Path) -> None:
    import os

    before = os.umask(0o077)
    try:
        write_atomic(tmp_path / "private.json", "x")
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
