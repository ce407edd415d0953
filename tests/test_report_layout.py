"""The report's charts draw changes at their true size: y-axes with a least span, counts from 0,
labelled ticks, and x labels with dates and short commit ids (issue 16)."""
from __future__ import annotations

import itertools
import re
from datetime import datetime, timezone

import pytest

from qualitygate.site.data import COUNTS
from qualitygate.site.html import _code
from qualitygate.site.svg import (
    HEIGHT,
    PAD_BOTTOM,
    PAD_TOP,
    line_chart,
    sparkline,
    x_labels,
    y_axis,
)

DAY = 86_400.0
T0 = datetime(2026, 11, 23, 17, 10, tzinfo=timezone.utc).timestamp()
SHA = "9ed9774e9f0123456789abcdef0123456789abcd"


def _ys(svg: str) -> list[float]:
    """The heights of a chart's points, from its polyline."""
    found = re.search(r'<polyline points="([^"]+)"', svg)
    assert found
    return [float(point.split(",")[1]) for point in found[1].split()]


def test_noise_in_an_average_stays_small() -> None:
    # Issue 16: average CC 2.61 -> 2.63 -> 2.61 was a V from the top of the chart to the bottom.
    svg = line_chart("cc", [2.61, 2.63, 2.61], [(T0, None), (T0 + DAY, None), (T0 + 2 * DAY, None)])
    ys = _ys(svg)
    plot = HEIGHT - PAD_TOP - PAD_BOTTOM
    assert max(ys) - min(ys) < 0.05 * plot


@pytest.mark.parametrize(
    ("values", "least_span"),
    [
        ([2.61, 2.63], 1.0),  # small averages: at least one unit
        ([44.54, 44.41], 0.2 * 44.54),  # larger ones: at least a fifth of the value
        ([7.0], 1.0),  # a single run
    ],
)
def test_averages_get_a_least_span_around_the_data(values: list[float], least_span: float) -> None:
    axis = y_axis(values)
    assert axis.high - axis.low >= least_span
    assert axis.low <= min(values) and max(values) <= axis.high


def test_a_real_change_still_fills_the_chart() -> None:
    axis = y_axis([41.51, 32.71])
    assert (axis.low, axis.high) == (30, 45)  # whole steps of 5 around the data, not 0 to 100


def test_averages_do_not_go_below_zero_unless_the_data_does() -> None:
    assert y_axis([0.1, 0.2]).low == 0
    assert y_axis([-3.0, -1.0]).low <= -3


@pytest.mark.parametrize(
    ("values", "ticks"),
    [
        ([55, 85], (0, 50, 100)),
        ([0, 0], (0, 1)),
        ([3, 4, 3], (0, 1, 2, 3, 4)),  # whole numbers only, never 0.5 of a violation
        ([2906, 4769], (0, 2000, 4000, 6000)),
    ],
)
def test_counts_start_at_zero_in_whole_steps(values: list[float], ticks: tuple[float, ...]) -> None:
    assert y_axis(values, counts=True).ticks == ticks


def test_tick_labels_have_the_decimals_their_step_needs() -> None:
    assert y_axis([2.61, 2.63]).labels() == ["2.0", "2.5", "3.0", "3.5"]
    assert y_axis([2906, 4769], counts=True).labels() == ["0", "2000", "4000", "6000"]


def test_the_chart_labels_every_tick_at_its_height() -> None:
    svg = line_chart("violations", [55, 85], [(T0, None), (T0 + DAY, None)], counts=True)
    labels = re.findall(r'<text x="\d+" y="([\d.]+)" text-anchor="end">([^<]+)</text>', svg)
    assert [text for _, text in labels] == ["0", "50", "100"]
    heights = [float(y) for y, _ in labels]
    assert heights == sorted(heights, reverse=True)  # 0 at the bottom
    assert abs(heights[0] - 4 - (HEIGHT - PAD_BOTTOM)) < 0.1 and abs(heights[-1] - 4 - PAD_TOP) < 0.1


def test_x_labels_show_the_date_and_the_short_commit() -> None:
    labels = x_labels([(T0, SHA), (T0 + DAY, None)])
    assert labels == {0: ("2026-11-23", "9ed9774"), 1: ("2026-11-24",)}
    svg = line_chart("mi", [40.0, 41.0], [(T0, SHA), (T0 + DAY, None)])
    assert ">9ed9774</tspan>" in svg and SHA[:8] not in svg
    assert "2026-11-23 17:10 UTC 9ed9774: 40" in svg  # the point's tooltip


def test_runs_on_one_day_are_told_apart_by_their_time() -> None:
    assert x_labels([(T0, None), (T0 + 60, None)]) == {0: ("11-23 17:10",), 1: ("11-23 17:11",)}


@pytest.mark.parametrize("count", [5, 6, 7, 11, 30])
def test_long_histories_label_the_ends_and_a_few_evenly_apart(count: int) -> None:
    marks = sorted(x_labels([(T0 + i * DAY, None) for i in range(count)]))
    assert marks[0] == 0 and marks[-1] == count - 1 and len(marks) <= 4
    gaps = [b - a for a, b in itertools.pairwise(marks)]
    assert min(gaps) >= (count - 1) / 4  # no two labels crowd each other


def test_sparklines_use_the_same_honest_axis() -> None:
    flat = sparkline([84.16, 84.78])
    ys = [float(p.split(",")[1]) for p in re.findall(r'points="([^"]+)"', flat)[0].split()]
    assert abs(ys[0] - ys[1]) < 4  # of a 20 px line, not top to bottom


def test_count_metrics_are_the_whole_number_fields_of_a_run() -> None:
    assert {"violations", "files", "functions", "sloc", "errors"} <= COUNTS
    assert not COUNTS & {"maintainability_index", "cyclomatic_complexity", "cognitive_complexity", "id"}


def test_paths_break_at_slashes_and_names_at_dots() -> None:
    assert _code("src/pkg/mod.py") == "src/<wbr>pkg/<wbr>mod.py"
    assert _code("Parser.read_token") == "Parser.<wbr>read_token"
    assert _code("<b>/x") == "&lt;b&gt;/<wbr>x"  # escaped first
