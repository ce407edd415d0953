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
