"""Leaderboards: 7 days, 30 days and all time, site-wide and per circle, summed from the points
ledger by a sweep into ``gamification_board_rows`` so a page reads a fixed number of rows."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from kpay.api import PointsEntry, User, db, utcnow
from plugins.gamification.models import BoardRow

PERIODS = ("7", "30", "all")
_CIRCLE = re.compile(r"^(?:gam:rev:)?gam:[a-z_]+:c(\d+):")


def size() -> int:
    return current_app.config["KPAY"]["plugins"]["gamification"]["board_size"]


def circle_of(key: str) -> int | None:
    """The circle a ledger entry's points count for (from its key), or None."""
    match = _CIRCLE.match(key)
    return int(match.group(1)) if match and match.group(1) != "0" else None


def compute(now: datetime | None = None) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """Every board, recomputed from the ledger: {(scope, period): [(user_id, points), ...]},
    highest first, then the lower member id; members at zero or below are left out."""
    now = now or utcnow()
    starts = {"7": now - timedelta(days=7), "30": now - timedelta(days=30), "all": None}
    sums: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows = db.session.execute(sa.select(PointsEntry.user_id, PointsEntry.amount, PointsEntry.key,
                                        PointsEntry.created_at).where(PointsEntry.created_at <= now))
    for user_id, amount, key, created_at in rows:
        circle = circle_of(key)
        for period, start in starts.items():
            if start is None or created_at >= start:
                sums[("site", period)][user_id] += amount
                if circle is not None:
                    sums[(f"circle:{circle}", period)][user_id] += amount
    return {board: sorted(((u, p) for u, p in totals.items() if p > 0), key=lambda r: (-r[1], r[0]))[:size()]
            for board, totals in sums.items()}


def sweep() -> None:
    """Sweep: replace the board rows with a fresh computation (one transaction: a page sees
    the old boards or the new ones, never half)."""
    now = utcnow()
    boards = compute(now)
    db.session.execute(sa.delete(BoardRow))
    db.session.add_all(
        BoardRow(scope=scope, period=period, rank=rank, user_id=user_id, points=points, computed_at=now)
        for (scope, period), lines in boards.items() for rank, (user_id, points) in enumerate(lines, start=1))


def read(scope: str, period: str) -> list[tuple[BoardRow, User]]:
    """One board as the last sweep left it (one query)."""
    return list(db.session.execute(sa.select(BoardRow, User).join(User, User.id == BoardRow.user_id).where(
        BoardRow.scope == scope, BoardRow.period == period).order_by(BoardRow.rank)).all())
