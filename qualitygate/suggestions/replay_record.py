"""A pytest plugin qualitygate copies into a patched copy of a project (issue 13, item 2): it records
the calls the tests make to the functions about to be rewritten, for replay on the old and the new
code. It runs inside the project's test process, so it imports nothing from qualitygate."""
from __future__ import annotations

import functools
import importlib
import json
import os
import pickle
from typing import Any

SETTINGS = "QUALITYGATE_RECORD"  # JSON: module, functions, out, limit, max_bytes
_calls: list[dict[str, Any]] = []
_skipped: dict[str, dict[str, int]] = {}  # function -> {"uncopyable": n, "too_large": n}
_wrapped: list[str] = []
_settings: dict[str, Any] = {}


def holder_and_name(module: Any, qualname: str) -> tuple[Any, str]:
    """The module or class that defines ``qualname``, and its own name there."""
    *outer, name = qualname.split(".")
    holder = module
    for part in outer:
        holder = getattr(holder, part)
        if not isinstance(holder, type):
            raise LookupError(f"{part} is not a class")
    return holder, name


def _dumps(value: object) -> bytes | None:
    try:
        return pickle.dumps(value, protocol=4)
    except Exception:  # noqa: BLE001 - anything may fail to pickle: it is then not copied
        return None


def _count(qualname: str, why: str) -> None:
    counts = _skipped.setdefault(qualname, {"uncopyable": 0, "too_large": 0})
    counts[why] += 1


def _before(qualname: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes | None:
    """The arguments as they were before the call, copied by pickling; None when not kept."""
    if len(_calls) >= _settings["limit"]:
        return None
    call = _dumps((args, kwargs))
    if call is None:
        _count(qualname, "uncopyable")
    elif len(call) > _settings["max_bytes"]:
        _count(qualname, "too_large")
        return None
    return call


def _keep(qualname: str, call: bytes, outcome: tuple[object, str], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    result, raised = outcome
    _calls.append({"function": qualname, "call": call, "result": None if raised else _dumps(result),
                   "raised": raised, "after": _dumps((args, kwargs))})  # fmt: skip


def _recorder(function: Any, qualname: str) -> Any:
    @functools.wraps(function)
    def recorder(*args: Any, **kwargs: Any) -> Any:
        call = _before(qualname, args, kwargs)
        if call is None:
            return function(*args, **kwargs)
        try:
            result = function(*args, **kwargs)
        except BaseException as exc:
            _keep(qualname, call, (None, f"{type(exc).__module__}.{type(exc).__qualname__}"), args, kwargs)
            raise
        _keep(qualname, call, (result, ""), args, kwargs)
        return result

    return recorder


def _wrap(module: Any, qualname: str) -> None:
    holder, name = holder_and_name(module, qualname)
    value = holder.__dict__[name]
    if isinstance(value, (staticmethod, classmethod)):
        setattr(holder, name, type(value)(_recorder(value.__func__, qualname)))
    elif callable(value):
        setattr(holder, name, _recorder(value, qualname))
    else:
        return
    _wrapped.append(qualname)


def pytest_sessionstart(session: object) -> None:
    """Wrap the functions before the test modules are collected (and import them)."""
    _settings.update(json.loads(os.environ[SETTINGS]))
    try:
        module = importlib.import_module(_settings["module"])
    except Exception as exc:  # noqa: BLE001 - the tests report it themselves
        _settings["error"] = f"cannot import {_settings['module']} ({type(exc).__name__})"
        return
    for qualname in _settings["functions"]:
        try:
            _wrap(module, qualname)
        except (AttributeError, LookupError, KeyError):
            continue


def pytest_sessionfinish(session: object, exitstatus: object) -> None:
    """Write the calls, for the replay (``replay_call.py``), and their counts as JSON, for qualitygate."""
    with open(_settings["out"], "wb") as stream:
        pickle.dump({"calls": _calls}, stream, protocol=4)
    recorded: dict[str, int] = {}
    for call in _calls:
        recorded[call["function"]] = recorded.get(call["function"], 0) + 1
    summary = {"recorded": recorded, "skipped": _skipped, "wrapped": _wrapped,
               "error": _settings.get("error", ""), "limit": _settings["limit"]}  # fmt: skip
    with open(_settings["out"] + ".json", "w", encoding="utf-8") as stream:
        json.dump(summary, stream)
