"""Replays recorded calls (issue 13, item 2), run by qualitygate as a script in a fresh interpreter
inside the copy of a project: once on the original module ("old"), then on the patched one ("new").

``old`` keeps the calls that give what the test run saw (others depend on more than their
arguments); ``new`` compares each kept call with the old outcome: return value, exception type,
and the arguments (``self`` included) after the call. Only this process unpickles what the tests
recorded; qualitygate reads the JSON summary alone."""
from __future__ import annotations

import importlib
import json
import pickle
import sys
from typing import Any, cast

Outcome = dict[str, Any]  # "result" (pickle or None), "raised" (exception type or ""), "after"


def _loads(data: bytes | None) -> tuple[bool, object]:
    if data is None:
        return False, None
    try:
        return True, pickle.loads(data)  # recorded by this run's own tests
    except Exception:  # noqa: BLE001 - a class the tests defined may not load here
        return False, None


def same(left: bytes | None, right: bytes | None) -> bool | None:
    """Equal pickles, or values that compare equal; None when either cannot be read."""
    if left is not None and left == right:
        return True
    (ok_left, a), (ok_right, b) = _loads(left), _loads(right)
    if not (ok_left and ok_right):
        return None
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an __eq__ that raises (numpy arrays): not equal
        return False


def compare(old: Outcome, new: Outcome) -> str:
    """"" when both outcomes agree, else what differs, or "?" when it cannot be told."""
    if old["raised"] != new["raised"]:
        return f"raises {new['raised'] or 'nothing'} instead of {old['raised'] or 'nothing'}"
    checks = [("the arguments after the call", same(old["after"], new["after"]))]
    if not old["raised"]:
        checks.insert(0, ("the return value", same(old["result"], new["result"])))
    for what, equal in checks:
        if equal is False:
            return f"{what} differs"
    return "?" if any(equal is None for _, equal in checks) else ""


def _function(module: object, qualname: str) -> Any:
    *outer, name = qualname.split(".")
    holder: Any = module
    for part in outer:
        holder = getattr(holder, part)
    value = holder.__dict__[name]
    return getattr(value, "__func__", value)


def call(module: object, record: dict[str, Any]) -> Outcome:
    """One recorded call, made again with freshly loaded arguments."""
    loaded, arguments = _loads(record["call"])
    if not loaded:
        return {"result": None, "raised": "", "after": None, "error": "cannot load its arguments"}
    args, kwargs = cast("tuple[tuple[Any, ...], dict[str, Any]]", arguments)
    function = _function(module, record["function"])
    try:
        result = function(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - an exception is an outcome like a return value
        raised = f"{type(exc).__module__}.{type(exc).__qualname__}"
        return {"result": None, "raised": raised, "after": _dumps((args, kwargs)), "error": ""}
    return {"result": _dumps(result), "raised": "", "after": _dumps((args, kwargs)), "error": ""}


def _dumps(value: object) -> bytes | None:
    try:
        return pickle.dumps(value, protocol=4)
    except Exception:  # noqa: BLE001 - a result that cannot be copied is not compared
        return None


def _tally(found: dict[str, dict[str, Any]], record: dict[str, Any], key: str, note: str = "") -> None:
    counts = found.setdefault(record["function"], {"equal": 0, "differ": 0, "unstable": 0,
                                                   "unreadable": 0, "first": ""})  # fmt: skip
    counts[key] += 1
    if note and not counts["first"]:
        counts["first"] = note


def replay_old(module: object, records: list[dict[str, Any]], found: dict[str, dict[str, Any]]) -> list[Outcome | None]:
    """The original's outcomes, None for calls that do not give what the test run saw."""
    outcomes: list[Outcome | None] = []
    for record in records:
        outcome = call(module, record)
        verdict = "?" if outcome["error"] else compare(record, outcome)
        if verdict:
            _tally(found, record, "unreadable" if verdict == "?" else "unstable")
        outcomes.append(None if verdict else outcome)
    return outcomes


def replay_new(module: object, records: list[dict[str, Any]], old: list[Outcome | None],
               found: dict[str, dict[str, Any]]) -> None:  # fmt: skip
    """Each kept call on the patched module, counted as equal, differing or unreadable."""
    for record, before in zip(records, old, strict=True):
        if before is None:
            continue
        outcome = call(module, record)
        verdict = "?" if outcome["error"] else compare(before, outcome)
        if verdict == "?":
            _tally(found, record, "unreadable")
        else:
            _tally(found, record, "differ" if verdict else "equal", verdict)


def main(argv: list[str]) -> int:
    """``replay_call.py old|new MODULE RECORDS OUTCOMES SUMMARY``."""
    mode, module_name, records_path, outcomes_path, summary_path = argv[1:6]
    with open(records_path, "rb") as stream:
        records = pickle.load(stream)["calls"]  # written by the plugin in this copy
    module = importlib.import_module(module_name)
    found: dict[str, dict[str, Any]] = {}
    if mode == "old":
        with open(outcomes_path, "wb") as stream:
            pickle.dump(replay_old(module, records, found), stream, protocol=4)
    else:
        with open(outcomes_path, "rb") as stream:
            replay_new(module, records, pickle.load(stream), found)  # written by the "old" replay
    with open(summary_path, "w", encoding="utf-8") as stream:
        json.dump(found, stream)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
