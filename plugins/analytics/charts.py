"""SVG chart geometry for the templates: scaled points, an uncertainty band and axis ticks.

The templates draw the shapes (``analytics/_chart.html``) with a title, a description and a
table of the same numbers, so a screen reader or a browser without SVG loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 48, 24, 10


@dataclass(frozen=True)
class Chart:
    """A chart's shapes in SVG units: ``lines`` (name, points), ``bars`` (x, y, w, h) and ``band``."""

    id: str
    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    bars: list[tuple[float, float, float, float]] = field(default_factory=list)
    band: str = ""
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    labels: list[tuple[float, str]] = field(default_factory=list)  # (x, label)
    width: int = WIDTH
    height: int = HEIGHT


def _scale(top: float):
    top = top or 1
    return lambda value: round(HEIGHT - BOTTOM - (value / top) * (HEIGHT - BOTTOM - TOP), 1)


def _ticks(top: float, scale) -> list[tuple[float, str]]:
    return [(scale(top * n / 4), f"{top * n / 4:,.0f}") for n in range(5)]


def _x_labels(keys: list[str], x) -> list[tuple[float, str]]:
    step = max(1, len(keys) // 6)
    return [(x(i), keys[i]) for i in range(0, len(keys), step)]


def line_chart(id: str, title: str, keys: list[str], series: dict[str, list[float]],
               band: list[tuple[int, float, float]] | None = None, slots: int | None = None) -> Chart:
    """Lines of ``series`` over ``keys`` (x labels), with an optional band (index, low, high)
    drawn over ``slots`` x positions (more than the keys when the band runs past them)."""
    slots = max(slots or len(keys), 2)
    # The scale follows the lines; a band that widens far beyond them is cut at the top.
    top = max((v for line in series.values() for v in line), default=1) * 1.3 or 1
    y = _scale(top)
    x = lambda index: round(LEFT + index * (WIDTH - LEFT - 8) / (slots - 1), 1)  # noqa: E731
    lines = [(name, " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(line))) for name, line in series.items()]
    shape = ""
    if band:
        upper = [f"{x(i)},{y(min(high, top))}" for i, _, high in band]
        lower = [f"{x(i)},{y(low)}" for i, low, _ in reversed(band)]
        shape = " ".join(upper + lower)
    return Chart(id, title, lines, band=shape, ticks=_ticks(top, y),
                 labels=_x_labels(keys, x))


def bar_chart(id: str, title: str, keys: list[str], values: list[float]) -> Chart:
    """One bar per key."""
    top = max(values, default=1) * 1.05
    y = _scale(top)
    slot = (WIDTH - LEFT - 8) / max(len(keys), 1)
    bars = [(round(LEFT + i * slot + slot * 0.1, 1), y(v), round(slot * 0.8, 1), round(y(0) - y(v), 1))
            for i, v in enumerate(values)]
    return Chart(id, title, bars=bars, ticks=_ticks(top, y),
                 labels=_x_labels(keys, lambda i: round(LEFT + i * slot + slot / 2, 1)))
