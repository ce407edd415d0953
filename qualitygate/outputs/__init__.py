"""Output formats: one module per format, all behind ``render(result, stream, context)``.

A reporter never computes metrics or verdicts; it only formats a ``GateResult``.
Modules are imported lazily so a one-file pre-commit run loads only what it prints.
"""
from __future__ import annotations

import importlib
from typing import NamedTuple, Protocol, TextIO

from qualitygate.models import GateResult


class ReportContext(NamedTuple):
    """What a reporter may need besides the result."""

    color: bool = False
    version: str = ""
    docs_url: str = "https://github.com/qualitygate/qualitygate/blob/main/docs/rules.md"
    # Codes of the rules whose thresholds are set in this run; None means every registered rule.
    rules: tuple[str, ...] | None = None
    # Prefix that makes ``path#Lline`` a working link (a GitHub blob URL); "" keeps it relative.
    source_url: str = ""


class Reporter(Protocol):
    """The one interface every format module implements as a module-level function."""

    def __call__(self, result: GateResult, stream: TextIO, context: ReportContext) -> None: ...


# name -> module under qualitygate.outputs; each module defines ``render``.
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_report",
    "junit": "junit",
    "github": "github",
    "markdown": "markdown",
    "sarif": "sarif",
    "gitlab": "gitlab",
    "pr-comment": "pr_comment",
}


def get_reporter(name: str) -> Reporter:
    """Import the module for ``name`` and return its ``render`` function."""
    module = importlib.import_module(f"qualitygate.outputs.{FORMATS[name]}")
    render: Reporter = module.render
    return render
