"""The wait board's 24-hour chart as SVG geometry, drawn on the server: no script, no library."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 480, 200
LEFT, BOTTOM, TOP = 44, 26, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    minutes: float | None
    trucks: int
    hour: str  # ISO start of the hour


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, minutes)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM
    peak: float = 0


def nice_ceiling(value: float) -> int:
    for step in (10, 20, 30, 60, 90, 120, 180, 240, 360, 480, 720, 1440, 2880):
        if value <= step:
            return step
    return int(-(-value // 1440) * 1440)


def hourly(history: list[dict]) -> Chart:
    """Bars of the median wait per hour; an hour with no truck has no bar (not a zero wait)."""
    rows = history[-24:]
    waits = [r.get("median_wait_min") for r in rows if r.get("median_wait_min") is not None]
    top = nice_ceiling(max(waits, default=0) or 10)
    plot_h, plot_w = HEIGHT - BOTTOM - TOP, WIDTH - LEFT - 8
    slot = plot_w / max(len(rows), 1)
    bars = []
    for i, row in enumerate(rows):
        minutes = row.get("median_wait_min")
        h = 0.0 if minutes is None else max(plot_h * minutes / top, 1.0)
        bars.append(Bar(x=LEFT + i * slot + slot * 0.15, y=HEIGHT - BOTTOM - h, width=slot * 0.7, height=h,
                        minutes=minutes, trucks=int(row.get("trucks") or 0), hour=str(row.get("hour", ""))))
    ticks = [(HEIGHT - BOTTOM - plot_h * k / 2, round(top * k / 2)) for k in range(3)]
    return Chart(bars=bars, ticks=ticks, peak=max(waits, default=0))
