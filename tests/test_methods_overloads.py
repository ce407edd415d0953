"""Methods under a block and ``@overload`` stubs (issue 15, item 8), through the CLI on real files."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import CliResult

METHODS = """\
import sys


class C:
    def plain(self, a): return a

    if sys.version_info >= (3, 11):
        def under_if(self, a, b): return a
    else:
        def under_else(self, a, b): return b
    try:
        import json
    except ImportError:
        def under_except(cls, a): return a
    with open(__file__):
        def under_with(self, a): return a
    for _ in ():
        async def under_for(self, a): return a

    if sys.platform == "win32":
        class Inner:
            def inner(self, a): return a

    def nested(self, a):
        if a:
            def local(self, b): return b  # a plain function: its `self` is a parameter
        return a


def module_level(self, a):
    return a
"""
IMPLEMENTATION = """\
    def parse(self, value, strict=False):
        if isinstance(value, int):
            return value
        return int(value) if strict else None
"""
STUBS = """\
    @overload
    def parse(self, value: int) -> int: ...
    @typing.overload
    def parse(self, value: str, strict: bool = ...) -> int | None: ...
"""
HEADER = "import typing\nfrom typing import overload\n\n\nclass P:\n"


def _report(cli: Callable[..., CliResult], project: Callable[..., Path], source: str) -> Any:
    root = project({"pyproject.toml": "[tool.qualitygate]\nmaintainability_threshold = 0\n", "m.py": source})
    return cli("check", "--format", "json", "--no-cache", cwd=root).json()


def test_a_method_under_a_block_does_not_count_its_receiver(cli, project) -> None:
    functions = _report(cli, project, METHODS)["files"][0]["functions"]
    assert {f["id"]: f["parameters"] for f in functions} == {
        "C.plain": 1, "C.under_if": 2, "C.under_else": 2, "C.under_except": 1, "C.under_with": 1,
        "C.under_for": 1, "C.Inner.inner": 1, "C.nested": 1, "C.nested.<locals>.local": 2, "module_level": 2,
    }  # fmt: skip


@pytest.mark.parametrize("stubs", [STUBS, STUBS.replace("def parse", "async def parse")], ids=["def", "async"])
def test_overload_stubs_are_not_functions(cli, project, stubs: str) -> None:
    """Stubs are signatures for type checkers: the summary counts and averages the implementation."""
    without = _report(cli, project, HEADER + IMPLEMENTATION)
    with_stubs = _report(cli, project, HEADER + stubs + IMPLEMENTATION)
    assert [f["id"] for f in with_stubs["files"][0]["functions"]] == ["P.parse"]
    keys = ("functions", "average_cyclomatic_complexity")
    assert [with_stubs["summary"][k] for k in keys] == [without["summary"][k] for k in keys] == [1, 3.0]
