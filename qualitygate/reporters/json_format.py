"""The versioned JSON report that other tools and our CI formats build on."""
from __future__ import annotations

import json
from typing import TextIO

from qualitygate.models import GateResult
from qualitygate.reporters import ReportContext
from qualitygate.serialize import to_dict


def render(result: GateResult, stream: TextIO, context: ReportContext) -> None:
    """Write the report as indented JSON, keys in schema order."""
    json.dump(to_dict(result), stream, indent=2)
    stream.write("\n")
