"""Output formats: one module per format, all behind ``render(result, stream, context)``.

A reporter never computes metrics or verdicts; it only formats a ``GateResult``.
Modules are imported lazily so a one-file pre-commit run loads only what it prints.
"""
from __future__ import annotations

import importlib
from typing import NamedTuple, Protocol, TextIO

from qualitygate.models import GateResult


class View(NamedTuple):
    """How the text format shows a check (issue 16: the flags users bring from ruff and flake8)."""

    quiet: int = 0  # -q: only the summary line; -qq: nothing on stdout
    statistics: bool = False  # --statistics: a count per rule instead of one line per violation
    advice: bool = True  # --no-advice / advice = false: no suggestion lines
    color: str = "auto"  # --color auto|always|never; auto reads NO_COLOR, FORCE_COLOR, the tty


class ReportContext(NamedTuple):
    """What a reporter may need besides the result."""

    color: bool = False
    version: str = ""
    # The rules' documentation: the running action's own repository inside GitHub Actions, else
    # "" (no link: the project names no repository it does not own; issue 16).
    docs_url: str = ""
    # Codes of the rules whose thresholds are set in this run; None means every registered rule.
    rules: tuple[str, ...] | None = None
    # Prefix that makes ``path#Lline`` a working link (a GitHub blob URL); "" keeps it relative.
    source_url: str = ""
    view: View = View()  # how the text format shows it (issue 16)
    # Issue 16 (monorepos): the working directory relative to the repository root (git's top
    # level, else the project root), "/"-terminated, "" at the root or outside it. The CI formats
    # (SARIF, GitLab, GitHub annotations, the Markdown summary) put it before each report path;
    # the text format does not.
    path_prefix: str = ""
    # The repository root as an absolute path: SARIF's %SRCROOT% (``originalUriBaseIds``); "" when
    # the run does not say, which leaves the SARIF log as it was.
    repo_root: str = ""


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
