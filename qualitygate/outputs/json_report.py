"""The versioned JSON report (docs/json-schema.md) that other tools and our CI formats build on."""
from __future__ import annotations

from typing import TextIO

from qualitygate.models import GateResult
from qualitygate.outputs import ReportContext
from qualitygate.serialize import encode, encode_file, to_dict

FILES = '"files":[]'  # the first list of the document (the summary's "files" is a number)


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Write the report as compact JSON on one line: ``json.dumps`` of ``serialize.to_dict``.

    The file records are encoded one at a time, so a large project's report never exists as one
    string or one tree of dicts: on 8 copies of the stdlib (2.6 million lines) a warm run peaks at
    135 MiB instead of 264 (benchmarks/scale_bench.py). Compact on purpose: with ``indent`` the json module falls back to its pure-Python
    encoder; the file records go through orjson, which writes the same text 5 times as fast
    (``serialize.encode_file``). Pipe to ``python -m json.tool`` or ``jq`` to read it.
    """
    before, after = encode(to_dict(result, with_files=False)).split(FILES, 1)
    stream.write(before + '"files":[')
    for index, file in enumerate(result.files):
        stream.write(("," if index else "") + encode_file(file))
    stream.write("]" + after + "\n")
