"""The statistics page's charts, drawn on the node with matplotlib (SVG or PNG; no script, no CDN).

Text is in the page's language. Vietnamese needs only DejaVu Sans, which ships with
matplotlib; Chinese needs a CJK font: Noto Sans CJK where the system has one (Debian's
fonts-noto-cjk), else the labels fall back to boxes while the figures stay right.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "WenQuanYi Zen Hei")
COLOURS = ("#1f5f8b", "#d9822b", "#3f8f4f", "#8b3f7f", "#7a7a2a", "#2a7a7a", "#b03a2e", "#555555")
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # a missing glyph is not an error here


def fonts() -> list[str]:
    """DejaVu Sans first (Latin and Vietnamese), then the first CJK font the system has."""
    have = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *[name for name in CJK_FONTS if name in have][:1]]


def _figure(title: str) -> tuple[Figure, object]:
    figure = Figure(figsize=(8, 3.4), dpi=100, layout="constrained")
    axes = figure.subplots()
    axes.set_title(title, fontsize=11, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    return figure, axes


def _out(figure: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return buffer.getvalue()


def _drawn(draw: Callable[..., bytes]) -> Callable[..., bytes]:
    """Text takes its font when it is made: the whole figure is drawn inside the font settings."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs) -> bytes:  # noqa: ANN002, ANN003
        with matplotlib.rc_context({"font.family": fonts(), "svg.fonttype": "path"}):
            return draw(*args, **kwargs)
    return wrapper


@_drawn
def by_gate(rows: list[dict], measure: str, title: str, names: dict[str, str], words: Callable[[str], str],
            fmt: str = "svg") -> bytes:
    """One line per gate and direction over the months."""
    figure, axes = _figure(title)
    months = sorted({r["period"] for r in rows})
    series: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows:
        series.setdefault((r["gate"], r["direction"]), {})[r["period"]] = r[measure]
    for n, ((gate, direction), values) in enumerate(sorted(series.items())):
        axes.plot(months, [values.get(m, 0) for m in months], marker="o", color=COLOURS[n % len(COLOURS)],
                  linestyle="-" if direction == "export" else "--",
                  label=f"{names.get(gate, gate)} · {words(direction)}")
    if series:
        axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    axes.tick_params(axis="x", labelsize=8, rotation=45)
    return _out(figure, fmt)


@_drawn
def top_groups(rows: list[dict], title: str, fmt: str = "svg") -> bytes:
    figure, axes = _figure(title)
    rows = list(reversed(rows))
    axes.barh([r["commodity_group_name"] for r in rows], [r["value_usd"] for r in rows], color=COLOURS[0])
    axes.grid(axis="x", alpha=0.3)
    axes.tick_params(labelsize=8)
    return _out(figure, fmt)


@_drawn
def line(rows: list[dict], key: str, title: str, *, percent: bool = False, fmt: str = "svg") -> bytes:
    figure, axes = _figure(title)
    values = [(r["period"], r[key]) for r in rows if r[key] is not None]
    axes.plot([p for p, _ in values], [v * 100 if percent else v for _, v in values], marker="o", color=COLOURS[1])
    if percent:
        axes.set_ylim(0, 100)
    axes.tick_params(axis="x", labelsize=8, rotation=45)
    return _out(figure, fmt)
