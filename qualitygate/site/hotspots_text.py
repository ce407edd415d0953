"""``qualitygate hotspots`` output: a table or a JSON document, and the report's hotspots data."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, TextIO

from qualitygate.churn.hotspots import Hotspot, Hotspots
from qualitygate.models import qualname_of

VERSION = 1


def iso_date(timestamp: float) -> str:
    """The UTC day of a time, as ``2026-12-04``."""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def hotspot_dict(row: Hotspot) -> dict[str, Any]:
    return {
        "path": row.path,
        "line": row.line,
        "end_line": row.end_line,
        "function": row.function,
        "qualname": qualname_of(row.function),
        "commits": row.commits,
        "authors": row.authors,
        "last_change": iso_date(row.last_change),
        "cognitive_complexity": row.cognitive_complexity,
        "score": row.score,
        "advice": row.advice,
    }


def hotspots_data(found: Hotspots) -> dict[str, Any]:
    """The JSON document: the same whether the history came from git or from the cache."""
    return {
        "version": VERSION,
        "window_days": found.days,
        "since": iso_date(found.since) if found.since is not None else None,
        "head": found.head,
        "commits": found.commits,
        "shallow": found.shallow,
        "hotspots": [hotspot_dict(row) for row in found.rows],
    }


def describe(found: Hotspots) -> str:
    """One line: the window, its commits and the commit it ends at."""
    window = f"the last {found.days} days (since {iso_date(found.since)})" if found.since is not None else "all history"
    head = found.head[:12] if found.head else "no commit yet"
    plural = "s" * (found.commits != 1)
    return f"{found.commits} commit{plural} changed Python files in {window}, up to {head}"


HEADER = f"{'rank':>4}  {'score':>7}  {'commits':>7}  {'authors':>7}  {'last change':<11}  {'cognitive':>9}  function"


def _row(rank: int, row: Hotspot) -> list[str]:
    lines = [f"{rank:>4}  {row.score:>7}  {row.commits:>7}  {row.authors:>7}  {iso_date(row.last_change):<11}  "
             f"{row.cognitive_complexity:>9}  {row.path}:{row.line} {row.function}"]  # fmt: skip
    if row.advice:
        lines.append(f"{'':>6}advice: {row.advice}")
    return lines


def text_lines(found: Hotspots) -> list[str]:
    lines = [f"hotspots (score = commits * cognitive complexity): {describe(found)}"]
    if not found.rows:
        return [*lines, "no measured function with a cognitive complexity above 0 changed in that window"]
    lines += ["", HEADER]
    for rank, row in enumerate(found.rows, 1):
        lines += _row(rank, row)
    return lines


def render_hotspots(found: Hotspots, fmt: str, stream: TextIO) -> None:
    """Write the hotspots as ``text`` or ``json``."""
    if fmt == "json":
        stream.write(json.dumps(hotspots_data(found), indent=2, ensure_ascii=False) + "\n")
    else:
        stream.write("\n".join(text_lines(found)) + "\n")
