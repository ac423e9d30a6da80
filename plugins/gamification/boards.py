"""Leaderboards: 7 days, 30 days and all time, site-wide and per circle, kept by a sweep in
``gamification_board_rows`` so a page reads a fixed number of rows.

The sweep is incremental: it reads only the ledger entries after its mark (the highest
``points_entries.id`` summed so far) into per-member daily rows (``gamification_point_days``,
the last 30 site days) and all-time rows (``gamification_point_totals``), then ranks the boards
from those small tables. The 7- and 30-day boards count whole site days, today included.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from kpay.api import PointsEntry, User, db, insert_once, site_now, utcnow
from plugins.gamification.models import BoardRow, PointDay, PointTotal, SweepMark

PERIODS = ("7", "30", "all")
DAYS = {"7": 7, "30": 30}
# Entries younger than this are left for the next sweep: a transaction still open may hold a
# lower ledger id, and the mark must not pass it.
SETTLE = timedelta(minutes=2)
MARK = "boards"
_CIRCLE = re.compile(r"^(?:gam:rev:)?gam:[a-z_]+:c(\d+):")
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def size() -> int:
    return current_app.config["KPAY"]["plugins"]["gamification"]["board_size"]


def circle_of(key: str) -> int | None:
    """The circle a ledger entry's points count for (from its key), or None."""
    match = _CIRCLE.match(key)
    return int(match.group(1)) if match and match.group(1) != "0" else None


def window_start(period: str, today: date) -> date | None:
    """The first site day a board of ``period`` counts (None: all time)."""
    return today - timedelta(days=DAYS[period] - 1) if period in DAYS else None


def sweep(now: datetime | None = None, settle: timedelta = SETTLE) -> int:
    """Sweep: add the settled ledger entries after the mark to the daily and all-time rows, then
    rewrite the board rows (one transaction: a page sees the old boards or the new ones, never
    half), unless nothing is new and the boards were ranked today. Entries younger than ``settle`` wait for the next sweep (0 only where nothing else
    writes: a demo, a test). Returns how many ledger entries were read; a second worker's concurrent sweep reads
    none (the mark's conditional UPDATE lets one through)."""
    now = now or utcnow()
    zone = site_now().tzinfo
    today = now.astimezone(zone).date()
    insert_once(SweepMark, ("name",), name=MARK, last_id=0)
    last = db.session.scalar(sa.select(SweepMark.last_id).where(SweepMark.name == MARK))
    days: dict[tuple[date, int, int], int] = defaultdict(int)
    totals: dict[tuple[int, int], int] = defaultdict(int)
    high, read = last, 0
    settled = now - settle
    oldest = today - timedelta(days=max(DAYS.values()) - 1)
    rows = db.session.execute(sa.select(PointsEntry.id, PointsEntry.user_id, PointsEntry.amount, PointsEntry.key,
                                        PointsEntry.created_at).where(PointsEntry.id > last).order_by(PointsEntry.id)
                              .execution_options(yield_per=5000))
    for entry_id, user_id, amount, key, created_at in rows:
        if created_at > settled:
            break  # the rest waits: ids are handed out in order, commits are not
        circle = circle_of(key) or 0
        totals[(circle, user_id)] += amount
        day = created_at.astimezone(zone).date()
        if day >= oldest:
            days[(day, circle, user_id)] += amount
        high, read = entry_id, read + 1
    rows.close()
    if high > last:
        claimed = db.session.execute(sa.update(SweepMark).where(SweepMark.name == MARK, SweepMark.last_id == last)
                                     .values(last_id=high)).rowcount
        if claimed != 1:
            return 0  # another sweep read these entries first
        _add(PointTotal, ("circle_id", "user_id"),
             [{"circle_id": c, "user_id": u, "points": p} for (c, u), p in totals.items()])
        _add(PointDay, ("day", "circle_id", "user_id"),
             [{"day": d, "circle_id": c, "user_id": u, "points": p} for (d, c, u), p in days.items()])
    elif _ranked_on(zone) in (today, None):
        return 0  # nothing new since the boards were ranked today: they stand
    db.session.execute(sa.delete(PointDay).where(PointDay.day < oldest))
    _rank(today, now)
    return read


def _ranked_on(zone) -> date | None:
    """The site day the boards were last ranked (None: no boards)."""
    ranked = db.session.scalar(sa.select(sa.func.max(BoardRow.computed_at)))
    return ranked.astimezone(zone).date() if ranked else None


def rebuild() -> int:
    """Forget the daily and all-time rows and sum the whole ledger again (after editing the
    ledger by hand); returns how many entries were read."""
    db.session.execute(sa.delete(PointDay))
    db.session.execute(sa.delete(PointTotal))
    db.session.execute(sa.delete(SweepMark).where(SweepMark.name == MARK))
    return sweep()


def _add(model, unique: tuple[str, ...], values: list[dict]) -> None:
    """Add each row's points to the stored row with the same ``unique`` columns (or insert it)."""
    if not values:
        return
    insert = _UPSERTS[db.session.get_bind().dialect.name](model.__table__)
    db.session.execute(insert.on_conflict_do_update(index_elements=list(unique),
                                                    set_={"points": model.__table__.c.points + insert.excluded.points}),
                       values)


def _rank(today: date, now: datetime) -> None:
    """Rewrite every board from the daily and all-time rows: the top ``board_size`` members
    above zero, highest first, then the lower member id."""
    db.session.execute(sa.delete(BoardRow))
    lines = []
    for period in PERIODS:
        start = window_start(period, today)
        table = PointTotal if start is None else PointDay
        where = [] if start is None else [PointDay.day >= start]
        total = sa.func.sum(table.points)
        site = db.session.execute(sa.select(table.user_id, total).where(*where).group_by(table.user_id)
                                  .having(total > 0).order_by(total.desc(), table.user_id).limit(size()))
        lines += [("site", period, rank, user_id, points) for rank, (user_id, points) in enumerate(site, start=1)]
        summed = (sa.select(table.circle_id, table.user_id, total.label("points"))
                  .where(table.circle_id != 0, *where).group_by(table.circle_id, table.user_id)
                  .having(total > 0).subquery())
        rank = sa.func.row_number().over(partition_by=summed.c.circle_id,
                                         order_by=(summed.c.points.desc(), summed.c.user_id)).label("rank")
        ranked = sa.select(summed.c.circle_id, summed.c.user_id, summed.c.points, rank).subquery()
        circles = db.session.execute(sa.select(ranked).where(ranked.c.rank <= size()))
        lines += [(f"circle:{circle}", period, rank, user_id, points) for circle, user_id, points, rank in circles]
    if lines:
        db.session.execute(sa.insert(BoardRow), [
            {"scope": scope, "period": period, "rank": rank, "user_id": user_id, "points": points, "computed_at": now}
            for scope, period, rank, user_id, points in lines])


def read(scope: str, period: str) -> list[tuple[BoardRow, User]]:
    """One board as the last sweep left it (one query)."""
    return list(db.session.execute(sa.select(BoardRow, User).join(User, User.id == BoardRow.user_id).where(
        BoardRow.scope == scope, BoardRow.period == period).order_by(BoardRow.rank)).all())
