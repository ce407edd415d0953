"""A file's functions as the cache stores them: a compact table that reads back at C speed.

Parsing 16,500 functions' numbers out of JSON was the largest part of a warm stdlib run
(~15 ms for ~200,000 number tokens; issue 5). The table keeps the cache a JSON document but
holds each function's numbers as one fixed-size little-endian record (``struct``), all of them
base64-encoded in one string, and the names as one newline-joined string per column
(identifiers never contain a newline):

    [count, "name\\nname...", "qualname\\n...", "<base64 of count records>"]

Reading it back checks only lengths: a record can only hold numbers of its fields' types, so a
damaged or crafted entry raises ValueError, TypeError or AttributeError (the cache then measures
the file again), never reaches the gate with a string where a number belongs.
"""
from __future__ import annotations

import binascii
import functools
import struct
from typing import Any

from qualitygate.models import FunctionMetrics

_FLOATS = frozenset(("maintainability_index", "halstead_volume"))
# Every field after name and qualname, in order: 32-bit ints (line numbers and counts of a file
# small enough to parse), 64-bit floats. A value outside them is refused when packing.
RECORD = struct.Struct("<" + "".join("d" if f in _FLOATS else "i" for f in FunctionMetrics._fields[2:]))

Table = list[Any]

# FunctionMetrics._make without its length check: 16,500 calls to a Python classmethod are 3 ms
# of a warm run. Each row is the two names and one record: as long as the fields are many.
_function = functools.partial(tuple.__new__, FunctionMetrics)
_joined = tuple.__add__


def pack(functions: tuple[FunctionMetrics, ...]) -> Table:
    """The table of ``functions``; OverflowError for a value its record cannot hold."""
    try:
        records = b"".join([RECORD.pack(*f[2:]) for f in functions])
    except struct.error as exc:  # out of range, or not a number: the file is not cached
        raise OverflowError(str(exc)) from None
    names = "\n".join([f.name for f in functions])
    qualnames = "\n".join([f.qualname for f in functions])
    return [len(functions), names, qualnames, binascii.b2a_base64(records, newline=False).decode("ascii")]


def unpack(table: Table) -> tuple[FunctionMetrics, ...]:
    """Inverse of ``pack``; ValueError, TypeError or AttributeError when ``table`` is not one."""
    count, names, qualnames, text = table
    if type(count) is not int or count < 0:
        raise TypeError("the function count is not a count")
    if not count:
        if names or qualnames or text:
            raise ValueError("an empty function table holds something")
        return ()
    records = binascii.a2b_base64(text)  # ValueError when not base64
    name_list, qualname_list = names.split("\n"), qualnames.split("\n")
    if (len(name_list), len(qualname_list), len(records)) != (count, count, count * RECORD.size):
        raise ValueError("the function table's columns differ in length")
    named = zip(name_list, qualname_list, strict=True)
    return tuple(map(_function, map(_joined, named, RECORD.iter_unpack(records))))
