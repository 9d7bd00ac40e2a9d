"""Geometry of the trend charts, drawn as server-side SVG by templates/analytics/analytics.html.

Two charts: escalations per day (bars) and the daily medians (two lines told apart by dash
pattern, marker shape and a text legend, so colour is never the only cue).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from relaydesk.analytics.formatting import duration
from relaydesk.analytics.schemas import TrendDay

WIDTH, HEIGHT = 720, 210
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 30, 34
MAX_X_LABELS = 10
VALUE_LABELS_UP_TO_DAYS = 31


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    title: str
    show_value: bool


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass
class Line:
    name: str
    css: str
    dash: str
    marker: str  # "circle" or "square"
    segments: list[list[Point]] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        return [" ".join(f"{p.x:.1f},{p.y:.1f}" for p in seg) for seg in self.segments]

    @property
    def points(self) -> list[Point]:
        return [p for seg in self.segments for p in seg]


@dataclass
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    unit: str
    bars: list[Bar] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)


def nice_ceiling(value: float, mantissas: tuple[float, ...] = (1, 2, 2.5, 5, 10)) -> float:
    """The smallest mantissa × 10^k at or above value: round axis maxima."""
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for mantissa in mantissas:
        if mantissa * exponent >= value - 1e-9:
            return mantissa * exponent
    return 10 * exponent


def _day(d: date) -> str:
    return f"{d:%b} {d.day}"


def _frame(unit: str, y_max: float, days: list[date]) -> tuple[Chart, float, float]:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    step = max(1, math.ceil(len(days) / MAX_X_LABELS))
    x_ticks = [Tick(LEFT + slot * (i + 0.5), _day(d)) for i, d in enumerate(days) if i % step == 0]
    y_ticks = [Tick(TOP + plot_h * (1 - f), _fmt_axis(y_max * f)) for f in (0, 0.5, 1)]
    chart = Chart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM, y_ticks, x_ticks, unit)
    return chart, slot, plot_h


def _fmt_axis(value: float) -> str:
    return f"{value:g}"


def count_chart(trend: list[TrendDay]) -> Chart:
    days = [t.date for t in trend]
    top = max((t.escalations for t in trend), default=0)
    # whole-number ticks: 0, half, top
    y_max = float(max(2, top + top % 2)) if top <= 10 else nice_ceiling(top, (1, 2, 4, 5, 10))
    chart, slot, plot_h = _frame("escalations", y_max, days)
    width = max(slot * 0.7, 1.0)
    for i, t in enumerate(trend):
        height = plot_h * t.escalations / y_max
        chart.bars.append(
            Bar(
                x=LEFT + slot * i + (slot - width) / 2,
                y=chart.bottom - height,
                width=width,
                height=height,
                value=t.escalations,
                title=f"{_day(t.date)}: {t.escalations} escalation{'' if t.escalations == 1 else 's'}",
                show_value=t.escalations > 0 and len(trend) <= VALUE_LABELS_UP_TO_DAYS,
            )
        )
    return chart


def _unit(max_seconds: float) -> tuple[str, int]:
    if max_seconds <= 120:
        return "seconds", 1
    if max_seconds <= 7200:
        return "minutes", 60
    return "hours", 3600


def median_chart(trend: list[TrendDay]) -> Chart:
    values = [
        v for t in trend for v in (t.median_pickup_seconds, t.median_first_action_seconds) if v is not None
    ]
    unit, factor = _unit(max(values, default=0))
    y_max = nice_ceiling(max(values, default=0) / factor)
    chart, slot, plot_h = _frame(unit, y_max, [t.date for t in trend])
    series = (
        ("Median time to pickup", "pickup", "", "circle", "median_pickup_seconds"),
        ("Median time to first action", "first-action", "6 4", "square", "median_first_action_seconds"),
    )
    for name, css, dash, marker, attr in series:
        line = Line(name, css, dash, marker)
        current: list[Point] = []
        for i, t in enumerate(trend):
            seconds = getattr(t, attr)
            if seconds is None:
                # a day with nothing measured is a gap, not a zero
                if current:
                    line.segments.append(current)
                    current = []
                continue
            current.append(
                Point(
                    x=LEFT + slot * (i + 0.5),
                    y=chart.bottom - plot_h * (seconds / factor) / y_max,
                    title=f"{_day(t.date)}: {name.lower()} {duration(seconds)}",
                )
            )
        if current:
            line.segments.append(current)
        chart.lines.append(line)
    return chart
