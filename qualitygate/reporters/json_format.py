"""The versioned JSON report that other tools and our CI formats build on."""
from __future__ import annotations

import json
from typing import TextIO

from qualitygate.models import GateResult
from qualitygate.reporters import ReportContext
from qualitygate.serialize import to_dict


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Write the report as compact JSON, keys in schema order.

    Compact on purpose: with ``indent`` the json module falls back to its pure-Python encoder,
    which costs more than measuring the stdlib's 700 files takes on a warm cache. Pipe to
    ``python -m json.tool`` or ``jq`` to read it.
    """
    stream.write(json.dumps(to_dict(result), ensure_ascii=False, separators=(",", ":")))
    stream.write("\n")
