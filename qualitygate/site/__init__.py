"""The ``report`` command's outputs: an HTML page with trends, its data as JSON, Markdown docs."""
from __future__ import annotations

import errno
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qualitygate import __version__
from qualitygate.config import Settings
from qualitygate.errors import UsageError
from qualitygate.gate.rules import Thresholds
from qualitygate.models import GateResult, Violation
from qualitygate.paths import root_relative
from qualitygate.store.history import HistoryError, database_path
from qualitygate.store.history_query import HistoryView, load_file_series, load_history

HTML_NAME = "metrics_report.html"
DATA_NAME = "metrics_data.json"
DOCS_DIR = "docs"


@dataclass(frozen=True)
class Written:
    """What ``write_report`` wrote, and what it could not read (history) as warnings."""

    html: Path
    data: Path
    docs: Path
    pages: int
    warnings: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the terminal."""
        return f"{self.html}, {self.data} and {self.pages} Markdown pages in {self.docs}"


def moment() -> float:
    """Now, or ``$SOURCE_DATE_EPOCH`` so a rebuilt report is byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return float(epoch) if epoch.isdigit() else time.time()


def generated_at() -> str:
    """``moment()`` in UTC."""
    return datetime.fromtimestamp(moment(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hotspots(result: GateResult, settings: Settings) -> tuple[dict[str, Any] | None, list[str]]:
    """The hotspots of the last 180 days (issue 14) when the project is in a git work tree."""
    from qualitygate.churn.gitlog import ChurnError, open_repository
    from qualitygate.churn.hotspots import Window, find_hotspots
    from qualitygate.site.hotspots_text import hotspots_data
    from qualitygate.store.cache import cache_dir

    try:
        repo = open_repository(settings.root)
    except ChurnError:
        return None, []  # no git, or not a work tree: the page has no hotspots section
    warnings: list[str] = []
    try:
        found = find_hotspots(result, repo, Window(now=moment()), cache_dir(settings.root), warnings.append)
    except ChurnError as exc:
        return None, [*warnings, f"hotspots left out: {exc}"]
    return hotspots_data(found), warnings


def _history(settings: Settings, days: int | None) -> tuple[HistoryView | None, dict[str, list[tuple[int, float]]], list[str]]:
    database = database_path(settings.root, settings.history_db)
    if not os.path.exists(database):  # a FIFO or a folder there is named in a warning, below
        return None, {}, []
    try:
        return load_history(database, days), load_file_series(database, days), []
    except HistoryError as exc:
        return None, {}, [f"trends left out: {exc}"]


def _write(path: Path, content: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write the report: {exc.strerror or exc}") from None


def make_folder(folder: Path) -> None:
    """Create the output folder; a symlink there is followed, as atomic writes write through a
    link to its file: a dangling one names the folder to create, a loop is refused by name."""
    try:
        os.path.realpath(folder, strict=True)
    except OSError as exc:  # absent, or a dangling link: created below, at the link's target
        if exc.errno == errno.ELOOP:
            raise UsageError(f"{folder}: cannot write the report: a symbolic link loop") from None
    target = Path(os.path.realpath(folder))
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        where = f" into the symbolic link's target {target}" if os.path.islink(folder) else ""
        raise UsageError(f"{folder}: cannot write the report{where}: {exc.strerror or exc}") from None


def write_docs(result: GateResult, thresholds: Thresholds, root: Path, folder: Path) -> int:
    """One Markdown page per module plus index.md; returns the number of module pages."""
    from qualitygate.site.markdown_docs import (
        Context,
        Page,
        index_page,
        module_name,
        module_page,
        page_name,
        parse,
    )

    violations: dict[str, list[Violation]] = {}
    for v in result.violations:
        violations.setdefault(v.path, []).append(v)
    context = Context(thresholds, violations)
    taken: set[str] = {"index.md"}
    pages = []
    for file in result.files:
        relative = root_relative(file.path, root)
        page = Page(page_name(module_name(relative), taken), module_name(relative), "")
        _write(folder / page.name, module_page(file, relative, parse(file.path), context))
        pages.append((page, file))
    _write(folder / "index.md", index_page(pages, [e.path for e in result.errors]))
    return len(pages)


def write_report(result: GateResult, settings: Settings, output_dir: Path, days: int | None) -> Written:
    """Write the HTML page, its JSON data and the Markdown docs under ``output_dir``."""
    from qualitygate.site import data as report_data
    from qualitygate.site.html import render

    history, series, warnings = _history(settings, days)
    by_path = {file.path: series.get(root_relative(file.path, settings.root), []) for file in result.files}
    thresholds = settings.thresholds
    hotspots, hotspot_warnings = _hotspots(result, settings)
    warnings += hotspot_warnings
    document = report_data.build(
        result, thresholds, project=settings.root.name or str(settings.root), version=__version__,
        generated_at=generated_at(), history=history, series=by_path, hotspots=hotspots,
    )  # fmt: skip
    make_folder(output_dir)
    html, data = output_dir / HTML_NAME, output_dir / DATA_NAME
    _write(html, render(document))
    _write(data, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    pages = write_docs(result, thresholds, settings.root, output_dir / DOCS_DIR)
    return Written(html, data, output_dir / DOCS_DIR, pages, tuple(warnings))
