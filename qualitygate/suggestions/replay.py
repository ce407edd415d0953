"""Differential replay (issue 13, item 2): the calls the tests make to a function, recorded on the
original code by a pytest plugin, then made again on the old and the new code and compared.

qualitygate never unpickles what the tests recorded: the plugin and the replay run in the project's
own interpreter processes (``replay_record.py``, ``replay_call.py``), and only JSON counts come back.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

PLUGIN = "_qualitygate_record"
LIMIT = 200  # calls recorded per run
MAX_BYTES = 1 << 20  # a call's pickled arguments, at most
_HERE = Path(__file__).parent


class Replay(NamedTuple):
    """What replaying one function's recorded calls found."""

    calls: int = 0  # replayed on both versions and compared
    differences: int = 0
    first: str = ""  # the first difference, in words
    not_checked: tuple[str, ...] = ()


def replayable(qualname: str) -> bool:
    """Module functions and methods of module-level classes; not functions nested in functions."""
    return "<locals>" not in qualname


class Recorder:
    """The plugin, written next to the copy, and where it puts what it records."""

    def __init__(self, folder: Path, module: str, functions: Iterable[str]) -> None:
        self.folder = folder
        self.module = module
        self.functions = sorted({f for f in functions if replayable(f)})
        self.plugins = folder / "plugins"
        self.plugins.mkdir()
        plugin = (_HERE / "replay_record.py").read_text(encoding="utf-8")
        (self.plugins / f"{PLUGIN}.py").write_text(plugin, encoding="utf-8")
        self.records = folder / "calls.pickle"

    @property
    def options(self) -> tuple[str, ...]:
        """What pytest needs to load the plugin."""
        return ("-p", PLUGIN)

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """``env`` with the plugin importable, its settings, and one hash seed for every process
        (set and dict orders then match between the recording and the replays)."""
        settings = {"module": self.module, "functions": self.functions, "out": str(self.records),
                    "limit": LIMIT, "max_bytes": MAX_BYTES}  # fmt: skip
        path = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(self.plugins)) if p)
        return {**env, "PYTHONPATH": path, "QUALITYGATE_RECORD": json.dumps(settings), "PYTHONHASHSEED": "0"}


def _tests_on_path(copy: Path, env: Mapping[str, str]) -> dict[str, str]:
    """Classes defined in test modules may be among the arguments: their folders go on the path."""
    folders = [str(copy / name) for name in ("tests", "test") if (copy / name).is_dir()]
    return {**env, "PYTHONPATH": os.pathsep.join([env.get("PYTHONPATH", ""), *folders])}


def _replay(recorder: Recorder, mode: str, copy: Path, env: Mapping[str, str], timeout: float) -> dict[str, Any]:
    """One replay process; its JSON summary, or {"error": why}."""
    summary = recorder.folder / f"replay-{mode}.json"
    command = [sys.executable, str(_HERE / "replay_call.py"), mode, recorder.module, str(recorder.records),
               str(recorder.folder / "outcomes.pickle"), str(summary)]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=copy, env=_tests_on_path(copy, env), capture_output=True,
                              text=True, timeout=timeout, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {timeout:g} s"}
    except OSError as exc:
        return {"error": str(exc)}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit code {done.returncode}"}
    return dict(json.loads(summary.read_text(encoding="utf-8")))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _notes(recorded: int, skipped: Mapping[str, int], found: Mapping[str, Any]) -> tuple[str, ...]:
    """What was not compared, in words (``not_checked``)."""
    counts = [
        (skipped.get("uncopyable", 0), "with arguments that cannot be copied"),
        (skipped.get("too_large", 0), f"with arguments over {MAX_BYTES >> 20} MB pickled"),
        (found.get("unstable", 0), "that give another result when made again on the original code"),
        (found.get("unreadable", 0), "whose outcome cannot be loaded to compare"),
    ]
    notes = [f"{_plural(n, 'call')} {why}" for n, why in counts if n]
    if recorded >= LIMIT:
        notes.append(f"calls after the first {LIMIT} not recorded")
    return tuple(notes)


def _one(name: str, meta: Mapping[str, Any], old: Mapping[str, Any], new: Mapping[str, Any]) -> Replay:
    recorded = meta.get("recorded", {}).get(name, 0)
    skipped = meta.get("skipped", {}).get(name, {})
    if name not in meta.get("wrapped", ()):
        return Replay(not_checked=(f"calls not replayed: `{name}` could not be wrapped to record them",))
    if not recorded and not skipped:
        return Replay(not_checked=("calls not replayed: the tests never called it",))
    before, after = old.get(name, {}), new.get(name, {})
    found = {"unstable": before.get("unstable", 0), "unreadable": before.get("unreadable", 0) + after.get("unreadable", 0)}
    equal, differ = after.get("equal", 0), after.get("differ", 0)
    return Replay(equal + differ, differ, after.get("first", ""), _notes(recorded, skipped, found))


def replay(recorder: Recorder, copy: Path, texts: tuple[Path, str, str], env: Mapping[str, str],
           timeout: float) -> dict[str, Replay]:  # fmt: skip
    """Each function's recorded calls made on the original text, then on the patched text
    (``texts``: the file in the copy, its original and its patched text)."""
    try:
        meta = json.loads(Path(f"{recorder.records}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _all(recorder, "calls not replayed: the test run recorded nothing")
    if meta.get("error"):
        return _all(recorder, f"calls not replayed: {meta['error']}")
    path, original, patched = texts
    env = recorder.environment(env)
    path.write_text(original, encoding="utf-8", newline="")
    old = _replay(recorder, "old", copy, env, timeout)
    path.write_text(patched, encoding="utf-8", newline="")
    new = _replay(recorder, "new", copy, env, timeout) if "error" not in old else old
    if "error" in new:
        return _all(recorder, f"calls not replayed: the replay failed ({new['error']})")
    return {name: _one(name, meta, old, new) for name in recorder.functions}


def _all(recorder: Recorder, why: str) -> dict[str, Replay]:
    return {name: Replay(not_checked=(why,)) for name in recorder.functions}
