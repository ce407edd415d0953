"""Inline SVG charts for the HTML report: no script, no network, every label escaped."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape

from qualitygate.models import format_number

WIDTH, HEIGHT = 480, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 48, 20, 14, 44
TARGET_TICKS = 4  # intervals the y-axis aims for; rounding out to whole steps may add one each end
MAX_X_LABELS = 4  # labels of about 10 characters that fit side by side in WIDTH
SHORT_SHA = 7  # git's default abbreviation

# The least span an averages axis shows (issue 16): 1 unit, or a fifth of the largest value when
# that is more. Average cyclomatic complexity 2.61 -> 2.63 then moves about 1 % of the chart's height
# instead of all of it; a maintainability index of 44 gets at least 8.8 points.
MIN_SPAN = 1.0
MIN_SPAN_FRACTION = 0.2

Run = tuple[float, str | None]  # a point on the x-axis: its Unix time (UTC) and its commit


@dataclass(frozen=True)
class Axis:
    """A y-axis: the values at the bottom and the top, and the ticks between (both included)."""

    low: float
    high: float
    ticks: tuple[float, ...]

    def labels(self) -> list[str]:
        """Each tick as text, with as many decimals as the step between ticks needs."""
        step = self.ticks[1] - self.ticks[0] if len(self.ticks) > 1 else 1.0
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        return [f"{tick:.{decimals}f}" for tick in self.ticks]


def nice_step(span: float, intervals: int = TARGET_TICKS) -> float:
    """The step of 1, 2 or 5 times a power of ten that cuts ``span`` into at most ``intervals``."""
    raw = span / intervals
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def _whole_steps(low: float, high: float, step: float) -> Axis:
    """The axis from ``low`` and ``high`` rounded out to whole steps."""
    first = math.floor(low / step + 1e-9)
    last = max(math.ceil(high / step - 1e-9), first + 1)
    ticks = tuple(round(i * step, 10) for i in range(first, last + 1))
    return Axis(ticks[0], ticks[-1], ticks)


def y_axis(values: Sequence[float], counts: bool = False) -> Axis:
    """The y-axis for ``values``. Counts start at 0 and step by whole numbers. Averages get at
    least MIN_SPAN, centred on the data, and never go below 0 when no value does."""
    low, high = min(values), max(values)
    if counts:
        top = max(high, 1.0)
        return _whole_steps(0.0, top, max(nice_step(top), 1.0))
    span = max(high - low, MIN_SPAN, MIN_SPAN_FRACTION * max(abs(low), abs(high)))
    middle = (low + high) / 2
    bottom = middle - span / 2
    if bottom < 0 <= low:
        bottom = 0.0
    return _whole_steps(bottom, bottom + span, nice_step(span))


def _marks(count: int, most: int = MAX_X_LABELS) -> list[int]:
    """The runs that get an x label: every k-th from the first, and the last. The one before the
    last goes when it is nearer than k runs, so no two labels are closer than k runs apart."""
    stride = max(1, math.ceil((count - 1) / (most - 1))) if count > 1 else 1
    marks = [*range(0, count - 1, stride), count - 1]
    if len(marks) > 2 and marks[-1] - marks[-2] < stride:
        del marks[-2]
    return marks


def x_labels(runs: Sequence[Run], most: int = MAX_X_LABELS) -> dict[int, tuple[str, ...]]:
    """Labels for some runs, by index: the UTC date, and the short commit id when there is one.
    When two labelled runs fall on one date, the date line shows month, day and time instead."""
    marks = _marks(len(runs), most)
    stamps = [datetime.fromtimestamp(runs[i][0], timezone.utc) for i in marks]
    days = [stamp.strftime("%Y-%m-%d") for stamp in stamps]
    if len(set(days)) < len(days):
        days = [stamp.strftime("%m-%d %H:%M") for stamp in stamps]
    commits = [runs[i][1] for i in marks]
    return {i: (day, *([sha[:SHORT_SHA]] if sha else [])) for i, day, sha in zip(marks, days, commits, strict=True)}


def run_title(run: Run) -> str:
    """A run in full, for tooltips: date and time (UTC) and the short commit id."""
    stamp = datetime.fromtimestamp(run[0], timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp} {run[1][:SHORT_SHA]}" if run[1] else stamp


def _points(values: Sequence[float], axis: Axis, box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    left, top, width, height = box
    step = width / (len(values) - 1) if len(values) > 1 else 0.0
    x0 = left if len(values) > 1 else left + width / 2
    return [
        (round(x0 + i * step, 1), round(top + height - (v - axis.low) / (axis.high - axis.low) * height, 1))
        for i, v in enumerate(values)
    ]


def _y_ticks(axis: Axis, box: tuple[float, float, float, float]) -> str:
    """A faint grid line and a value label at every tick."""
    left, top, width, height = box
    parts = []
    for tick, label in zip(axis.ticks, axis.labels(), strict=True):
        y = round(top + height - (tick - axis.low) / (axis.high - axis.low) * height, 1)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + width}" y2="{y}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')  # fmt: skip
    return "".join(parts)


def _x_ticks(runs: Sequence[Run], points: Sequence[tuple[float, float]], bottom: float) -> str:
    """Date and short commit id under the labelled runs; the ends align with the plot's edges."""
    labels = x_labels(runs)
    parts = []
    for i, lines in labels.items():
        anchor = "start" if i == 0 and len(runs) > 1 else "end" if i == len(runs) - 1 and i else "middle"
        x = points[i][0]
        spans = "".join(f'<tspan x="{x}" dy="{0 if n == 0 else 14}">{escape(line)}</tspan>' for n, line in enumerate(lines))
        parts.append(f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 4}" class="axis"/>'
                     f'<text x="{x}" y="{bottom + 17}" text-anchor="{anchor}">{spans}</text>')  # fmt: skip
    return "".join(parts)


def line_chart(title: str, values: Sequence[float], runs: Sequence[Run], color: str = "#2563eb", counts: bool = False) -> str:
    """A line chart of one metric over runs (``runs[i]`` is run i's time and commit), on the
    axis y_axis gives; ``counts`` for whole-number metrics, whose axis starts at 0."""
    if not values:
        return ""
    axis = y_axis(values, counts)
    box = (PAD_LEFT, PAD_TOP, WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM)
    points = _points(values, axis, box)
    path = " ".join(f"{x},{y}" for x, y in points)
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="3" fill="{color}"><title>{escape(run_title(run))}: '
        f"{escape(format_number(round(value, 2)))}</title></circle>"
        for (x, y), value, run in zip(points, values, runs, strict=True)
    )
    bottom = HEIGHT - PAD_BOTTOM
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{_y_ticks(axis, box)}"
        f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - PAD_RIGHT}" y2="{bottom}" class="axis"/>'
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{bottom}" class="axis"/>'
        f"{_x_ticks(runs, points, bottom)}"
        f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>{dots}</svg>'
    )


def sparkline(values: Sequence[float], width: int = 120, height: int = 24) -> str:
    """A small unlabelled trend line (a file's maintainability over runs) on the same honest axis
    as the charts; empty under two points."""
    if len(values) < 2:
        return ""
    points = _points(values, y_axis(values), (2, 2, width - 4, height - 4))
    path = " ".join(f"{x},{y}" for x, y in points)
    first, last = format_number(values[0]), format_number(values[-1])
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(first)} to {escape(last)}">'
        f'<polyline points="{path}" fill="none" stroke="#2563eb" stroke-width="1.5"/></svg>'
    )
