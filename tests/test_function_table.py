"""The cache's function table: packs every function of real files and reads back the same."""
from __future__ import annotations

import base64
import struct
from typing import Any

import pytest

from qualitygate.metrics.analyze import measure_file
from qualitygate.metrics.options import MetricOptions
from qualitygate.models import FileMetrics, FunctionMetrics
from qualitygate.store import function_table

from .conftest import STDLIB

# Real code nobody here wrote: nested functions, methods, decorators, empty bodies.
MODULES = ("argparse.py", "functools.py", "json/decoder.py", "_collections_abc.py")


def measured(name: str) -> FileMetrics:
    file = measure_file(STDLIB / name, name, MetricOptions())
    assert isinstance(file, FileMetrics) and file.functions
    return file


@pytest.mark.parametrize("name", MODULES)
def test_real_functions_read_back_exactly(name: str) -> None:
    functions = measured(name).functions
    back = function_table.unpack(function_table.pack(functions))
    assert back == functions
    # Same types too, not only equal values: the report must not turn 0.0 into 0 when warm.
    for before, after in zip(functions, back, strict=True):
        assert [type(v) for v in before] == [type(v) for v in after]
        assert type(after) is FunctionMetrics


def test_measured_floats_are_floats_even_when_whole() -> None:
    """radon gives 0 for an empty body's volume; the table keeps floats as floats."""
    functions = measured("_collections_abc.py").functions
    assert any(f.halstead_volume == 0 for f in functions)
    assert all(type(f.halstead_volume) is float and type(f.maintainability_index) is float for f in functions)


def test_no_functions() -> None:
    assert function_table.unpack(function_table.pack(())) == ()


def test_the_numbers_are_little_endian_records() -> None:
    """The byte layout is fixed whatever machine wrote it (a CI cache may move between them):
    per function, 32-bit ints and 64-bit floats in the order of FunctionMetrics' fields."""
    functions = measured("json/decoder.py").functions
    count, names, qualnames, text = function_table.pack(functions)
    layout = "<" + "".join("d" if isinstance(v, float) else "i" for v in functions[0][2:])
    records = list(struct.iter_unpack(layout, base64.b64decode(text)))
    assert (count, names.split("\n"), qualnames.split("\n")) == (
        len(functions), [f.name for f in functions], [f.qualname for f in functions]
    )  # fmt: skip
    assert records == [tuple(f[2:]) for f in functions]


def _damaged(change: Any) -> list[Any]:
    table = function_table.pack(measured("json/decoder.py").functions)
    change(table)
    return table


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.__setitem__(0, t[0] + 1),  # one function more than the columns hold
        lambda t: t.__setitem__(0, "3"),
        lambda t: t.__setitem__(1, t[1] + "\nextra"),
        lambda t: t.__setitem__(2, None),
        lambda t: t.__setitem__(3, t[3][:-4]),  # not whole records
        lambda t: t.__setitem__(3, "%%%"),
        lambda t: t.__setitem__(3, [1, 2]),
        lambda t: t.__setitem__(0, 0),  # no functions, and yet names and records
        lambda t: t.pop(),
        lambda t: t.append(""),
    ],
    ids=["count", "count-text", "names", "qualnames", "cut", "not-base64", "list", "empty", "short", "long"],
)
def test_a_damaged_table_raises_instead_of_shifting_metrics(change: Any) -> None:
    with pytest.raises((ValueError, TypeError, AttributeError)):
        function_table.unpack(_damaged(change))


@pytest.mark.parametrize(
    "change",
    [{"lineno": 2**31}, {"cyclomatic_complexity": -(2**31) - 1}, {"length": 3.5}, {"parameters": "2"}],
    ids=["past-32-bits", "below-32-bits", "float-for-int", "text-for-int"],
)
def test_a_value_the_table_cannot_hold_is_refused_when_packing(change: dict[str, Any]) -> None:
    """The cache then keeps the file out (cache.record) rather than storing something else."""
    function = measured("json/decoder.py").functions[0]
    assert function_table.unpack(function_table.pack((function._replace(lineno=2**31 - 1),)))
    with pytest.raises(OverflowError):
        function_table.pack((function._replace(**change),))
