"""The online measure: impressions and clicks per widget, from the ``recs.shown`` and
``recs.clicked`` events the widgets' beacons record."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa

from kpay.api import ActivityEvent, db


def click_through(since: datetime) -> list[tuple[str, int, int]]:
    """(widget, items shown, clicks) for each widget with events since ``since``."""
    shown: Counter = Counter()
    clicked: Counter = Counter()
    rows = db.session.execute(sa.select(ActivityEvent.name, ActivityEvent.data).where(
        ActivityEvent.name.in_(("recs.shown", "recs.clicked")), ActivityEvent.created_at >= since))
    for name, data in rows:
        if name == "recs.shown":
            shown[data["widget"]] += len(data["keys"])
        else:
            clicked[data["widget"]] += 1
    return [(widget, shown[widget], clicked[widget]) for widget in sorted(shown | clicked)]


def table(rows: list[tuple[str, int, int]]) -> str:
    """The figures as a Markdown table; the rate is clicks per item shown."""
    lines = ["| widget | shown | clicked | click-through |", "| --- | --- | --- | --- |"]
    for widget, shown, clicked in rows:
        rate = f"{clicked / shown:.1%}" if shown else "-"
        lines.append(f"| {widget} | {shown} | {clicked} | {rate} |")
    return "\n".join(lines)
