"""Inline SVG charts for the HTML report: no script, no network, every label escaped."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

from qualitygate.models import format_number

WIDTH, HEIGHT = 520, 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 16, 36


def _scale(values: Sequence[float]) -> tuple[float, float]:
    """The y range: the data's, widened a little so a flat line sits in the middle."""
    low, high = min(values), max(values)
    if high == low:
        margin = abs(high) * 0.1 or 1.0
        return low - margin, high + margin
    margin = (high - low) * 0.1
    return low - margin, high + margin


def _points(values: Sequence[float], width: float, height: float, left: float, top: float) -> list[tuple[float, float]]:
    low, high = _scale(values)
    step = width / (len(values) - 1) if len(values) > 1 else 0.0
    x0 = left if len(values) > 1 else left + width / 2
    return [
        (round(x0 + i * step, 1), round(top + height - (v - low) / (high - low) * height, 1))
        for i, v in enumerate(values)
    ]


def _y_labels(values: Sequence[float], points: Sequence[tuple[float, float]]) -> str:
    """The highest and lowest value, each beside its own height (one label for a flat line)."""
    high = max(range(len(values)), key=lambda i: values[i])
    low = min(range(len(values)), key=lambda i: values[i])
    marks = [high] if values[high] == values[low] else [high, low]
    return "".join(
        f'<text x="{PAD_LEFT - 6}" y="{points[i][1] + 4}" text-anchor="end">'
        f"{escape(format_number(round(values[i], 2)))}</text>"
        for i in marks
    )


def line_chart(title: str, values: Sequence[float], labels: Sequence[str], color: str = "#2563eb") -> str:
    """A line chart of one metric over runs; ``labels[i]`` names run i (its date)."""
    if not values:
        return ""
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    points = _points(values, inner_w, inner_h, PAD_LEFT, PAD_TOP)
    path = " ".join(f"{x},{y}" for x, y in points)
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="3" fill="{color}"><title>{escape(label)}: '
        f"{escape(format_number(round(value, 2)))}</title></circle>"
        for (x, y), value, label in zip(points, values, labels, strict=True)
    )
    bottom = HEIGHT - PAD_BOTTOM
    last_label = f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 12}" text-anchor="end">{escape(labels[-1])}</text>'
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - PAD_RIGHT}" y2="{bottom}" class="axis"/>'
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{bottom}" class="axis"/>'
        f"{_y_labels(values, points)}"
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 12}">{escape(labels[0])}</text>'
        f"{last_label if len(values) > 1 else ''}"
        f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>{dots}</svg>'
    )


def sparkline(values: Sequence[float], width: int = 120, height: int = 24) -> str:
    """A small unlabelled trend line (a file's maintainability over runs); empty under two points."""
    if len(values) < 2:
        return ""
    points = _points(values, width - 4, height - 4, 2, 2)
    path = " ".join(f"{x},{y}" for x, y in points)
    first, last = format_number(values[0]), format_number(values[-1])
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(first)} to {escape(last)}">'
        f'<polyline points="{path}" fill="none" stroke="#2563eb" stroke-width="1.5"/></svg>'
    )
