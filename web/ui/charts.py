"""Small charts drawn on the server as inline SVG (no script): the template `_chart.html` draws
what `line_chart` computes. Each chart has a title and a description in words and is shown with
its data as a table, so nothing depends on seeing the drawing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Point:
    x: float
    y: float
    value: int
    when: datetime
    label_y: float  # where the value's label goes


@dataclass
class Tick:
    pos: float
    label: str
    anchor: str = "middle"  # SVG text-anchor: the outermost labels stay inside the drawing


@dataclass
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: list[Point]
    y_ticks: list[Tick]
    x_ticks: list[Tick]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def line_chart(
    series: list[tuple[datetime, int]],
    label_of: object,
    *,
    low: int = 0,
    high: int = 10,
    width: int = 640,
    height: int = 260,
) -> LineChart | None:
    """Scores over time on a fixed scale (Kykyviisari: 0–10). `label_of` formats a date for
    the x axis. Points are placed by time; several on one moment are spread evenly."""
    if not series:
        return None
    left, right, top, bottom = 48, 24, 20, 44
    inner_w, inner_h = width - left - right, height - top - bottom
    times = [when.timestamp() for when, _v in series]
    first, last = min(times), max(times)
    span = last - first

    def x_of(i: int, t: float) -> float:
        if len(series) == 1:
            return left + inner_w / 2
        if span <= 0:
            return left + inner_w * i / (len(series) - 1)
        return left + inner_w * (t - first) / span

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return top + inner_h * (1 - (clamped - low) / (high - low))

    points = []
    for i, ((when, value), t) in enumerate(zip(series, times, strict=True)):
        y = y_of(value)
        points.append(Point(x_of(i, t), y, value, when, y - 10 if value < high - 1 else y + 20))
    y_ticks = [Tick(y_of(v), str(v)) for v in range(low, high + 1, 2)]
    fmt = label_of if callable(label_of) else str
    shown = points if len(points) <= 6 else [points[0], points[len(points) // 2], points[-1]]
    x_ticks: list[Tick] = []
    for p in shown:
        if not x_ticks or abs(p.x - x_ticks[-1].pos) > 90:
            anchor = "middle"
            if p.x - left < 40:
                anchor = "start"
            elif width - right - p.x < 40:
                anchor = "end"
            x_ticks.append(Tick(p.x, str(fmt(p.when)), anchor))
    return LineChart(width, height, left, right, top, bottom, points, y_ticks, x_ticks)
