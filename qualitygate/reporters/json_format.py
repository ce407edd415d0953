"""The versioned JSON report that other tools and our CI formats build on."""
from __future__ import annotations

from typing import TextIO

from qualitygate.models import GateResult
from qualitygate.reporters import ReportContext
from qualitygate.serialize import encode, encode_file, report_head, report_tail


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Write the report as compact JSON, keys in schema order.

    Compact on purpose: with ``indent`` the json module falls back to its pure-Python encoder,
    which costs more than measuring the stdlib's 700 files takes on a warm cache. Pipe to
    ``python -m json.tool`` or ``jq`` to read it.
    """
    # Files are spliced in as records: a warm run reuses the ones the cache stored (issue 5).
    stream.write(encode(report_head(result))[:-1] + ',"files":[')
    stream.write(",".join(map(encode_file, result.files)))
    stream.write("]," + encode(report_tail(result))[1:] + "\n")
