"""``qualitygate history`` output: the runs, each metric's trend, one file, the worsened functions."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from typing import TextIO

from qualitygate.models import format_number
from qualitygate.store.history_query import (
    FilePoint,
    FunctionChange,
    HistoryView,
    RunSummary,
    Trend,
)


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _run_line(run: RunSummary) -> str:
    verdict = "pass" if run.passed else "FAIL"
    commit = (run.commit or "-")[:10]
    return (f"{run.id:>5}  {_when(run.created_at)}  {commit:<10}  {(run.branch or '-')[:20]:<20}  "
            f"{verdict:<4}  {run.files:>6}  {run.functions:>9}  {run.violations:>10}  "
            f"{format_number(run.maintainability_index):>7}  {format_number(run.cyclomatic_complexity):>6}  "
            f"{format_number(run.cognitive_complexity):>7}")  # fmt: skip


RUN_HEADER = (f"{'run':>5}  {'time (UTC)':<16}  {'commit':<10}  {'branch':<20}  {'ok':<4}  {'files':>6}  "
              f"{'functions':>9}  {'violations':>10}  {'avg MI':>7}  {'avg CC':>6}  {'avg cog':>7}")  # fmt: skip


def _trend_line(trend: Trend) -> str:
    first, last = format_number(trend.first), format_number(trend.last)
    change = f"{trend.change:+g}" if trend.change else "0"
    return f"  {trend.label:<44} {first:>10} -> {last:<10} {change:>9}  {trend.direction}"


def _point_line(point: FilePoint) -> str:
    return (f"  run {point.run:>5}  {_when(point.created_at)}  {(point.commit or '-')[:10]:<10}  "
            f"MI {format_number(point.maintainability_index):>6}  CC {point.cyclomatic_complexity:>4}  "
            f"{point.sloc:>6} sloc  {point.functions:>4} functions")  # fmt: skip


def _change_line(change: FunctionChange) -> str:
    return (f"  {change.path}:{change.lineno} {change.qualname}: cognitive {change.cognitive_before} -> "
            f"{change.cognitive_after}, cyclomatic {change.cyclomatic_before} -> {change.cyclomatic_after}, "
            f"MI {format_number(change.maintainability_before)} -> {format_number(change.maintainability_after)}")  # fmt: skip


def _text(view: HistoryView) -> list[str]:
    window = f"the last {view.days} days" if view.days else "all time"
    lines = [f"history: {view.database}: {len(view.runs)} runs in {window}"]
    if not view.runs:
        return lines
    lines += ["", RUN_HEADER, *(_run_line(run) for run in view.runs)]
    lines += ["", "trend (first run -> last run):", *(_trend_line(t) for t in view.trends)]
    if view.path is not None:
        lines += ["", f"{view.path}:", *(_point_line(p) for p in view.file_points)]
        if not view.file_points:
            lines.append("  not in any run of this window")
    lines += ["", "most-worsened functions (first run -> last run):"]
    lines += [_change_line(c) for c in view.worsened] or ["  none"]
    return lines


def _json(view: HistoryView) -> dict[str, object]:
    document = dataclasses.asdict(view)
    document["trends"] = [{**dataclasses.asdict(t), "change": t.change, "direction": t.direction} for t in view.trends]
    document["worsened"] = [{**dataclasses.asdict(c), "worsening": c.worsening} for c in view.worsened]
    return document


def render_history(view: HistoryView, fmt: str, stream: TextIO) -> None:
    """Write the view as aligned text or as one JSON document."""
    if fmt == "json":
        stream.write(json.dumps(_json(view), ensure_ascii=False, indent=2) + "\n")
    else:
        stream.write("\n".join(_text(view)) + "\n")
