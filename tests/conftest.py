"""Shared fixtures: run the CLI in-process, write small projects, find the stdlib."""
from __future__ import annotations

import json
import os
import signal
import sysconfig
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from qualitygate.cli import run

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
REPO = Path(__file__).resolve().parents[1]


def subprocess_env() -> dict[str, str]:
    """The environment for ``python -m qualitygate`` subprocesses: this checkout importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``qualitygate ARGS`` in-process from ``cwd`` and capture what it prints."""

    def invoke(*args: str, cwd: Path | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Path]:
    """Write ``{relative path: source}`` under tmp_path (dedented) and return the folder."""

    def write(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(textwrap.dedent(content), encoding="utf-8")
        return tmp_path

    return write


def stdlib_files(limit_bytes: int = 60_000, tests: bool = False) -> list[Path]:
    """The interpreter's own stdlib .py files, sorted; real code nobody here wrote."""
    skip = {"site-packages", "__pycache__"} | (set() if tests else {"test", "tests", "idle_test"})
    found = []
    for dirpath, dirnames, filenames in os.walk(STDLIB):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.endswith(".py") and path.stat().st_size <= limit_bytes:
                found.append(path)
    return found


@pytest.fixture
def repo(tmp_path: Path):
    """A real, empty git repository on branch ``main`` (tests/gitrepo.py), for the adoption tests."""
    from .gitrepo import GitRepo

    return GitRepo(tmp_path / "repo")


class TimeUp(BaseException):
    """Raised inside a block that ran past ``time_limit`` (a BaseException: nothing swallows it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Bound one call of radon's super-linear raw analysis; raises TimeUp when the time is up."""

    def alarm(signum: int, frame: object) -> None:
        raise TimeUp

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
