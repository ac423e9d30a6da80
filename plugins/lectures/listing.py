"""The calendar's lists: upcoming and past lectures a page at a time (keyset on
``(starts_at, id)``), a month's lectures, and the next lecture for a member's widget."""

from __future__ import annotations

import calendar as monthly
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import get_timezone
from sqlalchemy.orm import joinedload

from kpay.api import db, utcnow
from plugins.lectures.models import Lecture, Rsvp

PER_PAGE = 20
MONTH_LIMIT = 300  # a month grid shows at most this many lectures (the lists page through all)


@dataclass(frozen=True)
class Chunk:
    """A page of lectures and the keyset of the next (``after``: "epoch-id"), if any."""

    lectures: list[Lecture]
    after: str | None


def _key(after: str | None) -> tuple[datetime, int] | None:
    try:
        seconds, _, ident = (after or "").partition("-")
        return datetime.fromtimestamp(int(seconds), tz=utcnow().tzinfo), int(ident)
    except (ValueError, OverflowError, OSError):
        return None


def upcoming(after: str | None = None, past: bool = False) -> Chunk:
    """Lectures not over yet, soonest first (``past``: those over, latest first)."""
    now = utcnow()
    query = sa.select(Lecture).options(joinedload(Lecture.creator)).where(Lecture.status == "scheduled")
    order = (Lecture.starts_at.desc(), Lecture.id.desc()) if past else (Lecture.starts_at, Lecture.id)
    # A lecture under way is "upcoming" until the start of the day after: longer ones are rare.
    cut = now - timedelta(hours=4)
    query = query.where(Lecture.starts_at < cut if past else Lecture.starts_at >= cut)
    key = _key(after)
    if key is not None:
        pair = sa.tuple_(Lecture.starts_at, Lecture.id)
        query = query.where(pair < sa.tuple_(*key) if past else pair > sa.tuple_(*key))
    rows = db.session.scalars(query.order_by(*order).limit(PER_PAGE + 1)).all()
    more = rows[PER_PAGE] if len(rows) > PER_PAGE else None
    rows = rows[:PER_PAGE]
    last = rows[-1] if more else None
    return Chunk(rows, f"{int(last.starts_at.timestamp())}-{last.id}" if last else None)


@dataclass(frozen=True)
class Grid:
    """A month's or a week's days in the viewer's zone: weeks of (day, lectures that day), and
    the ``previous`` and ``next`` grid's query value."""

    kind: str  # "month" or "week"
    first: date
    weeks: list[list[tuple[date, list[Lecture]]]]

    @property
    def previous(self) -> str:
        if self.kind == "week":
            return (self.first - timedelta(weeks=1)).isoformat()
        return f"{(self.first - timedelta(days=1)):%Y-%m}"

    @property
    def next(self) -> str:
        if self.kind == "week":
            return (self.first + timedelta(weeks=1)).isoformat()
        return f"{(self.first + timedelta(days=32)):%Y-%m}"


def _viewer_today() -> date:
    return utcnow().astimezone(get_timezone()).date()


def parse_month(text: str | None) -> date:
    """The first day of month ``YYYY-MM``, or of the viewer's current month for anything else."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if 2000 <= year <= 2100:
            return date(year, month, 1)
    except ValueError:
        pass
    return _viewer_today().replace(day=1)


def parse_week(text: str | None) -> date:
    """The Monday of the week holding ``YYYY-MM-DD``, or of the viewer's current week."""
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        day = _viewer_today()
    if not 2000 <= day.year <= 2100:
        day = _viewer_today()
    return day - timedelta(days=day.weekday())


def month(first: date) -> Grid:
    """The lectures of the month starting ``first``, placed by the viewer's local date."""
    return _grid("month", first, monthly.Calendar().monthdatescalendar(first.year, first.month))


def week(monday: date) -> Grid:
    """The lectures of the week starting ``monday``."""
    return _grid("week", monday, [[monday + timedelta(days=n) for n in range(7)]])


def _grid(kind: str, first: date, weeks: list[list[date]]) -> Grid:
    zone = get_timezone()
    start = datetime.combine(weeks[0][0], datetime.min.time(), zone)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), datetime.min.time(), zone)
    rows = db.session.scalars(sa.select(Lecture).where(Lecture.status == "scheduled", Lecture.starts_at >= start,
                                                       Lecture.starts_at < end)
                              .order_by(Lecture.starts_at, Lecture.id).limit(MONTH_LIMIT)).all()
    by_day: dict[date, list[Lecture]] = {}
    for lecture in rows:
        by_day.setdefault(lecture.starts_at.astimezone(zone).date(), []).append(lecture)
    return Grid(kind, first, [[(day, by_day.get(day, [])) for day in days] for days in weeks])


def next_lecture(user_id: int) -> tuple[Lecture | None, bool]:
    """(the next lecture ``user_id`` is going to, True), else (the next lecture anyone may see, False)."""
    now = utcnow()
    base = sa.select(Lecture).where(Lecture.status == "scheduled", Lecture.starts_at > now - timedelta(hours=1))
    mine = db.session.scalar(base.join(Rsvp, Rsvp.lecture_id == Lecture.id)
                             .where(Rsvp.user_id == user_id, Rsvp.status == "going")
                             .order_by(Lecture.starts_at, Lecture.id).limit(1))
    if mine is not None:
        return mine, True
    return db.session.scalar(base.where(Lecture.starts_at > now).order_by(Lecture.starts_at, Lecture.id).limit(1)), False
