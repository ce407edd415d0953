"""The versioned JSON report (docs/json-schema.md) that other tools and our CI formats build on."""
from __future__ import annotations

from typing import TextIO

from qualitygate.models import GateResult
from qualitygate.outputs import ReportContext
from qualitygate.serialize import encode, to_dict


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Write the report as compact JSON, keys in schema order, on one line.

    Compact on purpose: with ``indent`` the json module falls back to its pure-Python encoder,
    several times slower on a large project. Pipe to ``python -m json.tool`` or ``jq`` to read it.
    """
    stream.write(encode(to_dict(result)) + "\n")
