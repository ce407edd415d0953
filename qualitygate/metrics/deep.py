"""Run one call on a big stack with a raised recursion limit: for trees too deep for the default.

Python's parser accepts expressions nested thousands deep (``not not ... x``, ``a.b.c...``,
``lambda: lambda: ...``), but the metrics walk the tree recursively and stop at the default
recursion limit of 1000 frames. Only a file that hit that limit comes here (the normal path is
untouched): the call runs again in a fresh thread whose stack is big enough for a limit far
above any depth the parser lets through (it gives up near 3,000 levels on 3.11 and 3.12, and
10,000 on 3.13; 3.10's parser has no such limit, and there the raised limit stops the walk).

Python 3.11 spends no C stack on a plain Python-to-Python call, but a call made through C
(a generator, ``map``) costs up to ~1.3 KiB of it on 3.10 and 3.11 (measured); the limit is set
to one frame per ``BYTES_PER_FRAME`` of stack, several times that, so the thread raises
RecursionError long before it could overflow its stack. From 3.12 on, Python frames live off
the C stack and C recursion has its own fixed limit, so the same settings are safe there too.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Tried in turn: a 32-bit process or a tight address-space limit may refuse the first.
STACK_SIZES = (512 * 1024 * 1024, 64 * 1024 * 1024, 16 * 1024 * 1024)
BYTES_PER_FRAME = 8 * 1024

# The stack size and the recursion limit are process-wide settings: one deep call at a time.
_LOCK = threading.Lock()


class NoDeepStack(RuntimeError):
    """No thread with a bigger stack could be started here."""


def call_with_deep_stack(function: Callable[..., T], *args: object) -> T:
    """``function(*args)`` in a thread with a big stack and a raised recursion limit.

    Returns its result or raises what it raised (a RecursionError still means too deep); raises
    NoDeepStack when no such thread can be started. Both settings are restored afterwards.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(function(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            failure.append(exc)

    with _LOCK:
        limit = sys.getrecursionlimit()
        try:
            thread = _start(target, limit)
            thread.join()
        finally:
            sys.setrecursionlimit(limit)
    if failure:
        raise failure.pop()
    return outcome.pop()


def _start(target: Callable[[], None], limit: int) -> threading.Thread:
    """Start ``target`` on the biggest stack this process grants, with the recursion limit to match."""
    previous = threading.stack_size()
    problems = []
    for size in STACK_SIZES:
        thread = threading.Thread(target=target, name="qualitygate-deep-nesting", daemon=True)
        try:
            threading.stack_size(size)
            # A new thread takes the limit in force when it starts.
            sys.setrecursionlimit(max(limit, size // BYTES_PER_FRAME))
            thread.start()
            return thread
        except (ValueError, RuntimeError, MemoryError) as exc:
            problems.append(f"{size >> 20} MiB: {exc}")
        finally:
            threading.stack_size(previous)
    raise NoDeepStack("no thread with a bigger stack could be started: " + "; ".join(problems))
