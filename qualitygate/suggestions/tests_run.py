"""Behaviour evidence (issue 13, item 2): the project's tests, run on a patched copy of its tree in a
temporary folder, with a time limit. This runs the project's code: only ``suggest`` and
``--suggest`` runs do it, never a plain ``check``."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qualitygate.suggestions.ai import Accepted

TIME_LIMIT_S = 600.0  # per run of the test suite
# Not copied: version control, caches, virtual environments and build output.
IGNORED = (".git", ".hg", ".svn", ".qualitygate_cache", "__pycache__", ".venv", "venv", ".tox",
           ".nox", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist")  # fmt: skip
_COUNT = re.compile(r"(\d+) (passed|failed|errors?)\b")


@dataclass(frozen=True)
class TestRun:
    """What one run of the test suite found."""

    outcome: str  # "passed", "failed", "timed out" or "not run"
    ran: int = 0
    failed: int = 0
    reason: str = ""  # why it did not run, or the end of its output when it failed


def default_command(root: Path) -> list[str] | None:
    """``python -m pytest -x -q`` when pytest is installed and the project has a tests folder."""
    if not any((root / name).is_dir() for name in ("tests", "test")):
        return None
    if importlib.util.find_spec("pytest") is None:
        return None
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]


def _outcome(code: int, output: str) -> TestRun:
    counts: dict[str, int] = {}
    for number, word in _COUNT.findall(output[-2000:]):
        counts[word.rstrip("s")] = int(number)
    failed = counts.get("failed", 0) + counts.get("error", 0)
    ran = counts.get("passed", 0) + failed
    if code == 0:
        return TestRun("passed", ran, 0)
    if code == 5:  # pytest: no tests were collected
        return TestRun("not run", reason="no tests were collected")
    return TestRun("failed", ran, failed, output.strip().splitlines()[-1] if output.strip() else "")


def _environment(copy: Path) -> dict[str, str]:
    """The copy first on the import path, so the patched modules are the ones imported."""
    paths = [str(copy / "src"), str(copy), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p),
            "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip


def run_tests(root: Path, command: list[str], changes: Mapping[str, str], time_limit: float = TIME_LIMIT_S) -> TestRun:
    """Copy ``root`` to a temporary folder, write ``changes`` (a path relative to ``root`` -> the
    new text) into the copy, and run ``command`` there within ``time_limit`` seconds."""
    with tempfile.TemporaryDirectory(prefix="qualitygate-verify-") as folder:
        copy = Path(folder) / (root.name or "project")
        try:
            shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(*IGNORED))
            for relative, text in changes.items():
                (copy / relative).write_text(text, encoding="utf-8", newline="")
            done = subprocess.run(command, cwd=copy, env=_environment(copy), capture_output=True,
                                  text=True, timeout=time_limit, check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            return TestRun("timed out", reason=f"no result within {time_limit:g} s")
        except (OSError, shutil.Error) as exc:
            return TestRun("not run", reason=f"cannot run the tests: {exc}")
    return _outcome(done.returncode, done.stdout + done.stderr)


def relative_to_root(path: str, root: Path) -> str | None:
    """``path`` (as the report names it) relative to the project root; None when outside it."""
    try:
        return Path(os.path.abspath(path)).relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


UNNAMED = "passed, but no test file names the function"  # not evidence about it: unverified


def named_in_tests(root: Path, name: str) -> bool:
    """Whether a test file under ``tests/`` or ``test/`` names ``name`` as a word: the cheap,
    honest lower bound of "a test may run it" (a passing suite that never names the function is
    no evidence about it)."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    for folder in ("tests", "test"):
        for path in sorted((root / folder).rglob("*.py")) if (root / folder).is_dir() else ():
            try:
                if word.search(path.read_text(encoding="utf-8", errors="replace")):
                    return True
            except OSError:
                continue
    return False


def tests_label(run: TestRun, baseline: TestRun | None, root: Path, name: str, change: str) -> str:
    """The ``tests`` evidence of one run: its outcome, in words when it proves nothing."""
    if run.outcome == "failed" and baseline is not None and baseline.outcome != "passed":
        return f"failing before the {change} too"
    if run.outcome == "passed" and not named_in_tests(root, name):
        return UNNAMED
    return run.outcome


def _with_run(item: Accepted, run: TestRun, baseline: TestRun | None, root: Path) -> Accepted:
    tests = tests_label(run, baseline, root, item.target.function.name, "rewrite")
    evidence = replace(item.verified.evidence, tests=tests, tests_ran=run.ran)
    return replace(item, verified=replace(item.verified, evidence=evidence))


def with_test_evidence(accepted: Sequence[Accepted], root: Path, log: Callable[[str], None]) -> tuple[list[Accepted], int]:
    """Each rewrite with the outcome of the project's tests on a patched copy; a rewrite that
    makes tests fail which pass without it is dropped. Returns the kept ones and how many were
    dropped."""
    command = default_command(root)
    if command is None:
        return list(accepted), 0
    kept: list[Accepted] = []
    baseline: TestRun | None = None
    for item in accepted:
        relative = relative_to_root(item.target.path, root)
        if relative is None:
            kept.append(item)
            continue
        run = run_tests(root, command, {relative: item.verified.source})
        if run.outcome == "failed":
            baseline = baseline or run_tests(root, command, {})
            if baseline.outcome == "passed":
                f = item.target.function
                log(f"rejected the AI rewrite of {item.target.path}:{f.lineno} `{f.qualname}`: the "
                    f"project's tests fail with it ({run.failed} failed; {run.reason})")  # fmt: skip
                continue
        kept.append(_with_run(item, run, baseline, root))
    return kept, len(accepted) - len(kept)
