"""Behaviour evidence (issue 13, item 2): the project's tests (``verify_command``), run on a copy of
its tree in a temporary folder with a time limit, first as it is (recording the calls to the
changed functions), then patched; then the recorded calls replayed on the old and new code. This
runs the project's code: only ``suggest`` and ``--suggest`` runs do it, never a plain ``check``."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from qualitygate.discovery.layout import source_roots
from qualitygate.suggestions.evidence import Evidence
from qualitygate.suggestions.replay import Recorder, Replay, replay
from qualitygate.suggestions.selection import IGNORED, covering, module_name, test_files

if TYPE_CHECKING:
    from qualitygate.config import Settings
    from qualitygate.suggestions.ai import Accepted

_COUNT = re.compile(r"(\d+) (passed|failed|errors?)\b")


class TestRun(NamedTuple):
    """What one run of the test suite found."""

    outcome: str  # "passed", "failed", "timed out" or "not run"
    ran: int = 0
    failed: int = 0
    reason: str = ""  # why it did not run, or the end of its output when it failed


class Plan(NamedTuple):
    """How the project's tests run (``verify_command``, ``verify_timeout``)."""

    command: tuple[str, ...]
    default: bool  # pytest's own command: the test files that import the module are chosen, calls recorded
    timeout: float
    roots: tuple[str, ...]  # the source roots, to name the changed module


class Checked(NamedTuple):
    """One change tested: the original copy, the patched copy, and the replayed calls."""

    run: TestRun  # patched
    baseline: TestRun  # the same tests on the original
    selected: str  # the tests_selected evidence
    replays: Mapping[str, Replay]  # per function qualname; empty when the tests did not pass


def default_command(root: Path) -> list[str] | None:
    """``python -m pytest -x -q`` when pytest is installed and the project has a tests folder."""
    if not any((root / name).is_dir() for name in ("tests", "test")):
        return None
    if importlib.util.find_spec("pytest") is None:
        return None
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]


def plan(settings: Settings) -> Plan | None:
    """The configured ``verify_command``, else pytest's default; None when there is nothing to run."""
    roots = source_roots(settings.root, settings.src)
    if settings.verify_command:
        return Plan(settings.verify_command, False, settings.verify_timeout, roots)
    command = default_command(settings.root)
    return None if command is None else Plan(tuple(command), True, settings.verify_timeout, roots)


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


def _run(command: Sequence[str], copy: Path, env: Mapping[str, str], time_limit: float) -> TestRun:
    try:
        done = subprocess.run(list(command), cwd=copy, env=dict(env), capture_output=True, text=True,
                              timeout=time_limit, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return TestRun("timed out", reason=f"no result within {time_limit:g} s")
    except OSError as exc:
        return TestRun("not run", reason=f"cannot run the tests: {exc}")
    return _outcome(done.returncode, done.stdout + done.stderr)


def _selection(root: Path, how: Plan, module: str | None) -> tuple[tuple[str, ...], str]:
    """The command with the test modules that import ``module`` (pytest's default command only),
    and the ``tests_selected`` words."""
    if not how.default:
        return how.command, "all (verify_command)"
    files = covering(root, module, how.roots)
    if not files:
        return how.command, "all (none imports it)"
    named = tuple(path.relative_to(root).as_posix() for path in files)
    words = "1 module that imports it" if len(named) == 1 else f"{len(named)} modules that import it"
    return (*how.command, *named), words


def check_change(root: Path, how: Plan, relative: str, text: str, functions: Sequence[str]) -> Checked:
    """Copy ``root`` to a temporary folder, run the tests there as they are (recording the calls to
    ``functions``), write ``text`` to ``relative`` and run them again, then replay the calls."""
    module = module_name(root / relative, how.roots)
    command, selected = _selection(root, how, module)
    with tempfile.TemporaryDirectory(prefix="qualitygate-verify-") as folder:
        copy = Path(folder) / (root.name or "project")
        try:
            shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(*IGNORED))
            original = (copy / relative).read_text(encoding="utf-8")
        except (OSError, shutil.Error, UnicodeDecodeError) as exc:
            failed = TestRun("not run", reason=f"cannot copy the project: {exc}")
            return Checked(failed, failed, selected, {})
        recorder = Recorder(Path(folder), module, functions) if how.default and module else None
        run, baseline, replays = _test_copy(copy, how._replace(command=command), (copy / relative, original, text), recorder)
    if replays is None:
        why = "the default pytest command only" if not how.default else "its module's import name is unknown"
        replays = {name: Replay(not_checked=(f"calls not replayed ({why})",)) for name in functions}
    return Checked(run, baseline, selected, replays)


def _test_copy(copy: Path, how: Plan, texts: tuple[Path, str, str],
               recorder: Recorder | None) -> tuple[TestRun, TestRun, dict[str, Replay] | None]:  # fmt: skip
    """The tests on the original (recording the calls), then on the patched text, then the replay;
    None for the replay without a recorder."""
    env = _environment(copy)
    recording = (recorder.environment(env), recorder.options) if recorder else (env, ())
    baseline = _run((*how.command, *recording[1]), copy, recording[0], how.timeout)
    path, original, text = texts
    path.write_text(text, encoding="utf-8", newline="")
    run = _run(how.command, copy, env, how.timeout)
    if recorder is None:
        return run, baseline, None
    if run.outcome == "passed":
        return run, baseline, replay(recorder, copy, texts, env, how.timeout)
    if run.outcome == "failed" and baseline.outcome == "failed":  # did the recording fail them?
        path.write_text(original, encoding="utf-8", newline="")
        baseline = _run(how.command, copy, env, how.timeout)
    return run, baseline, {}


UNNAMED = "passed, but no test file names the function"  # not evidence about it: unverified


def named_in_tests(root: Path, name: str) -> bool:
    """Whether a test file names ``name`` as a word: the cheap, honest lower bound of "a test may
    run it" (a passing suite that never names the function is no evidence about it)."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    for path in test_files(root):
        try:
            if word.search(path.read_text(encoding="utf-8", errors="replace")):
                return True
        except OSError:
            continue
    return False


def refusal(checked: Checked, qualnames: Sequence[str]) -> str:
    """Why the change is refused ("" when it is not): tests that fail only with it, or a recorded
    call that gives another outcome on the new code."""
    run = checked.run
    if run.outcome == "failed" and checked.baseline.outcome == "passed":
        return f"the project's tests fail with it ({run.failed} failed; {run.reason})"
    for name in qualnames:
        found = checked.replays.get(name)
        if found and found.differences:
            return (f"{found.differences} of {found.calls} recorded calls to `{name}` differ on the "
                    f"new code ({found.first})")  # fmt: skip
    return ""


def evidence(base: Evidence, checked: Checked, root: Path, qualname: str, change: str) -> Evidence:
    """``base`` with what the tests and the replay found about ``qualname``."""
    run, found = checked.run, checked.replays.get(qualname, Replay())
    if run.outcome == "failed" and checked.baseline.outcome != "passed":
        tests = f"failing before the {change} too"
    elif run.outcome == "passed" and not found.calls and not named_in_tests(root, qualname.rpartition(".")[2]):
        tests = UNNAMED
    else:
        tests = run.outcome
    replay_notes = found.not_checked if run.outcome == "passed" else ()
    return replace(base, tests=tests, tests_ran=run.ran, tests_selected=checked.selected,
                   replayed_calls=found.calls, differences=found.differences,
                   not_checked=(*base.not_checked, *replay_notes))  # fmt: skip


def relative_to_root(path: str, root: Path) -> str | None:
    """``path`` (as the report names it) relative to the project root; None when outside it."""
    try:
        return Path(os.path.abspath(path)).relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def with_test_evidence(accepted: Sequence[Accepted], settings: Settings, log: Callable[[str], None]) -> tuple[list[Accepted], int]:
    """Each rewrite with the outcome of the project's tests and replay on a patched copy; a
    rewrite that makes tests fail which pass without it, or changes what a recorded call gives,
    is dropped. Returns the kept ones and how many were dropped."""
    how = plan(settings)
    if how is None:
        return list(accepted), 0
    kept: list[Accepted] = []
    for item in accepted:
        relative = relative_to_root(item.target.path, settings.root)
        if relative is None:
            kept.append(item)
            continue
        f = item.target.function
        checked = check_change(settings.root, how, relative, item.verified.source, [f.qualname])
        why = refusal(checked, [f.qualname])
        if why:
            log(f"rejected the AI rewrite of {item.target.path}:{f.lineno} `{f.qualname}`: {why}")
            continue
        found = evidence(item.verified.evidence, checked, settings.root, f.qualname, "rewrite")
        kept.append(replace(item, verified=replace(item.verified, evidence=found)))
    return kept, len(accepted) - len(kept)
