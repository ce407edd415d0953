"""The JSON report's file entries: orjson writes them, with the json module's text (serialize.py)."""
from __future__ import annotations

import json
import math
import platform
from dataclasses import replace

import pytest

from qualitygate import serialize
from qualitygate.metrics.analyze import measure_file
from qualitygate.metrics.options import MetricOptions
from qualitygate.models import FileMetrics
from qualitygate.serialize import encode_file, file_from_dict, file_to_dict

from .conftest import stdlib_files


def _json_module(file: FileMetrics) -> str:
    """The reference: the standard library's encoder, as every report wrote entries before."""
    return json.dumps(file_to_dict(file), ensure_ascii=False, separators=(",", ":"))


def _measured(count: int) -> list[FileMetrics]:
    files = stdlib_files(limit_bytes=200_000)[::7][:count]  # spread over the whole tree
    found = [measure_file(path, str(path), MetricOptions()) for path in files]
    return [f for f in found if isinstance(f, FileMetrics)]


def test_orjson_is_installed_with_qualitygate_on_cpython() -> None:
    """pyproject.toml declares it for CPython: without it every entry takes the slow encoder."""
    if platform.python_implementation() == "CPython":
        assert serialize._orjson() is not None


def test_file_entries_have_the_json_modules_text_on_real_code() -> None:
    """Byte for byte equal to json.dumps on stdlib modules: non-ASCII names, big and small
    floats, empty lists, classes, imports and suppressions; and they read back as measured."""
    measured = _measured(80)
    assert len(measured) >= 70 and sum(len(f.functions) for f in measured) > 1000
    for file in measured:
        text = encode_file(file)
        assert text == _json_module(file), file.path
        assert file_from_dict(json.loads(text)) == file


def _with_function_mi(file: FileMetrics, value: float) -> FileMetrics:
    first = file.functions[0]._replace(maintainability_index=value)
    return replace(file, functions=(first, *file.functions[1:]))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_an_entry_holding_nan_or_infinity_is_written_as_the_json_module_writes_it(value: float) -> None:
    """orjson would write null, which reads back as None: such an entry goes to the json module."""
    file = _with_function_mi(_measured(1)[0], value)
    text = encode_file(file)
    assert text == _json_module(file)
    written = json.loads(text)["functions"][0]["maintainability_index"]
    assert written is not None and (written == value or (math.isnan(written) and math.isnan(value)))


@pytest.mark.parametrize("value", [5.847953209920048e-06, 1e-07, 1.5e-05, 1e16, 2.5e17, 9.99e-05])
def test_floats_the_two_spell_differently_go_to_the_json_module(value: float) -> None:
    """orjson writes 1e-7 and 1e16 where the json module writes 1e-07 and 1e+16 (below 1e-4 and
    from 1e16): an entry holding one is the json module's text. (An MI just above 0 is one.)"""
    file = _with_function_mi(_measured(1)[0], value)
    assert encode_file(file) == _json_module(file)
    assert json.loads(encode_file(file))["functions"][0]["maintainability_index"] == value


def test_a_hand_edited_entry_with_a_null_where_a_float_belongs_is_written_as_before() -> None:
    """``merge`` reads shards a person may have edited: a null volume is written back as null."""
    file = _measured(1)[0]
    edited = replace(file, halstead=file.halstead._replace(volume=None))
    assert encode_file(edited) == _json_module(edited)
    assert '"volume":null' in encode_file(edited)


def test_an_int_orjson_refuses_is_written_by_the_json_module() -> None:
    """orjson takes ints of at most 64 bits; the json module takes any (a hand-made record)."""
    file = _measured(1)[0]
    huge = replace(file, cyclomatic_complexity=2**70)
    assert encode_file(huge) == _json_module(huge)
    assert f'"cyclomatic_complexity":{2**70}' in encode_file(huge)


def test_without_orjson_the_json_module_writes_every_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyPy has no orjson wheel: the report is the same text, only slower to write."""
    measured = _measured(5)
    with_orjson = [encode_file(f) for f in measured]
    monkeypatch.setattr(serialize, "_orjson", lambda: None)
    assert [encode_file(f) for f in measured] == with_orjson == [_json_module(f) for f in measured]
