"""SVG chart geometry for the templates: scaled points, bars, an uncertainty band and axis ticks.

The templates draw the shapes (``analytics/_chart.html``) with a title, a description and a
table of the same numbers, so a screen reader or a browser without SVG loses nothing. A year
of days is hundreds of bars and rows: the bars are one path and the table's rows are written
here at once (dates and numbers only, nothing a member wrote), not one template loop per cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 48, 24, 10


@dataclass(frozen=True)
class Chart:
    """A chart's shapes in SVG units: ``lines`` (name, points), ``bars`` (one path) and
    ``band``; ``header`` and ``rows`` (``<tr>`` elements) its table."""

    id: str
    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    bars: str = ""
    band: str = ""
    header: tuple[str, ...] = ()
    rows: Markup = Markup("")
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


def table_rows(rows: Iterable[tuple]) -> Markup:
    """``<tr>`` elements of ``rows`` (their cells escaped)."""
    return Markup("".join(["<tr>" + "".join([f"<td>{escape(cell)}</td>" for cell in row])
                           + "</tr>" for row in rows]))


def line_chart(id: str, title: str, keys: list[str], series: dict[str, list[float]],
               band: list[tuple[int, float, float]] | None = None, slots: int | None = None,
               header: tuple[str, ...] = ()) -> Chart:
    """Lines of ``series`` over ``keys`` (x labels), with an optional band (index, low, high)
    drawn over ``slots`` x positions (more than the keys when the band runs past them); the
    table has ``header`` and a row per key with each series' value."""
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
    rows = table_rows(zip(keys, *series.values(), strict=True))
    return Chart(id, title, lines, band=shape, ticks=_ticks(top, y),
                 labels=_x_labels(keys, x), header=header, rows=rows)


def bar_chart(id: str, title: str, keys: list[str], values: list[float], header: tuple[str, ...] = (),
              shown: list | None = None) -> Chart:
    """One bar per key; the table has ``header`` and a row per key with its value (``shown``
    in place of the values, when given)."""
    top = max(values, default=1) * 1.05 or 1
    base = HEIGHT - BOTTOM
    unit = (HEIGHT - BOTTOM - TOP) / top
    slot = (WIDTH - LEFT - 8) / max(len(keys), 1)
    width = slot * 0.8
    bars = " ".join(f"M{LEFT + i * slot + slot * 0.1:.1f} {base}h{width:.1f}v{-v * unit:.1f}h{-width:.1f}Z"
                    for i, v in enumerate(values) if v)
    return Chart(id, title, bars=bars, ticks=_ticks(top, _scale(top)),
                 labels=_x_labels(keys, lambda i: round(LEFT + i * slot + slot / 2, 1)), header=header,
                 rows=table_rows(zip(keys, shown if shown is not None else values, strict=True)))
