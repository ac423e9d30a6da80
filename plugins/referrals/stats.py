"""The operator's figures: activity per period and channel, the viral K-factor by monthly
cohort, the referral tree and the leaderboard. A sweep (every few minutes) counts them from the
activity in a few statements of grouped parts and keeps the rows in ``referrals_figures``; the
page reads the kept rows in one statement, whatever the community's size.

K-factor of a cohort (the members who joined in one month, UTC): invitations per member (visits
through their links ÷ members) × conversion (invited sign-ups ÷ visits), which is invited
sign-ups ÷ members. Paid conversions count the invitees who paid and were not refunded in
full (``converted_at``, cleared by a full refund of every paid order). Cycle time: the average
days from a member joining to a member they invited joining.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from kpay.api import User, db, utcnow
from plugins.referrals.models import Attribution, Figure, Share, Visit


@dataclass(frozen=True)
class Cohort:
    month: str
    members: int
    visits: int
    signups: int
    converted: int  # invitees who paid, full refunds aside
    cycle_days: float | None

    @property
    def invitations_per_member(self) -> float:
        return self.visits / self.members if self.members else 0.0

    @property
    def conversion(self) -> float:
        return self.signups / self.visits if self.visits else 0.0

    @property
    def k_factor(self) -> float:
        return self.signups / self.members if self.members else 0.0


def _month(column) -> sa.ColumnElement:
    """``YYYY-MM`` of a UTC date-time column, on SQLite and PostgreSQL alike."""
    year, month = sa.extract("year", column), sa.extract("month", column)
    return sa.cast(year, sa.Integer) * 100 + sa.cast(month, sa.Integer)


def _days(start, end) -> sa.ColumnElement:
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.julianday(end) - sa.func.julianday(start)
    return sa.extract("epoch", end - start) / 86400.0


@dataclass(frozen=True)
class Node:
    user_id: int
    name: str
    invited: int  # members this one invited directly
    size: int = 0  # members in the tree under a root
    depth: int = 0  # generations under a root


@dataclass(frozen=True)
class Figures:
    """What the operator's page shows beside the review queues, as of ``as_of``."""

    channels: list[dict]
    cohorts: list[Cohort]
    roots: list[Node]
    leaders: list[tuple[str, int, int]]  # name, sign-ups, paid conversions
    as_of: datetime


PERIODS = (7, 30, 90, 365)  # the days of the periods the page offers
EVERY_MINUTES = 5  # how often the sweep counts the figures
COHORTS, ROOTS, LEADERS = 12, 20, 10  # the newest cohorts, the largest trees, the best referrers


def figures(days: int) -> Figures | None:
    """The figures of the last ``days`` (one of ``PERIODS``) as the last sweep kept them, read
    in one statement; None before the first sweep."""
    rows = db.session.execute(
        sa.select(Figure.part, Figure.label, Figure.name, Figure.a, Figure.b, Figure.c, Figure.d, Figure.average,
                  Figure.swept_at).where(Figure.period.in_((0, days))).order_by(Figure.period, Figure.id)).all()
    return _assemble([row[:-1] for row in rows], rows[0].swept_at) if rows else None


def compute(now: datetime, days: int) -> Figures:
    """The figures of the ``days`` before ``now`` counted from the activity itself (what a
    sweep keeps)."""
    statement = sa.union_all(*_history_parts(), *_period_parts(now - timedelta(days=days)))
    return _assemble(db.session.execute(statement).all(), now)


def sweep(now: datetime | None = None) -> int:
    """Count the figures of the whole history and of every period anew and put them in place of
    the kept ones in one transaction (a page sees the old figures or the new, never half);
    returns how many rows it kept."""
    now = now or utcnow()
    rows = [(0, *row) for row in db.session.execute(sa.union_all(*_history_parts()))]
    for days in PERIODS:
        rows += [(days, *row) for row in db.session.execute(sa.union_all(*_period_parts(now - timedelta(days=days))))]
    rows.append((0, "swept", None, None, None, None, None, None, None))
    columns = ("period", "part", "label", "name", "a", "b", "c", "d", "average")
    db.session.execute(sa.delete(Figure))
    db.session.execute(sa.insert(Figure), [{**dict(zip(columns, row, strict=True)), "swept_at": now} for row in rows])
    db.session.commit()
    return len(rows)


def _assemble(rows, as_of: datetime) -> Figures:
    """Figures from the rows of the grouped parts, each ``(part, label, name, a, b, c, d, average)``."""
    parts: dict[str, list] = {}
    for row in rows:
        parts.setdefault(row[0], []).append(tuple(row[1:]))
    return Figures(
        channels=_channels(parts), cohorts=_cohorts(parts),
        roots=[Node(a, name, d, b, c) for _label, name, a, b, c, d, _avg in sorted(
            parts.get("roots", ()), key=lambda r: (-r[3], r[2]))],
        leaders=[(name, b, c) for _label, name, _a, b, c, _d, _avg in sorted(
            parts.get("leaders", ()), key=lambda r: (-r[4], -r[3], r[2]))],
        as_of=as_of,
    )


def _part(name: str, label=None, who=None, a=None, b=None, c=None, d=None, average=None) -> list:
    """The columns of one part of the figures' union, typed alike in every part."""
    typed = [(label, sa.String), (who, sa.String), (a, sa.Integer), (b, sa.Integer), (c, sa.Integer),
             (d, sa.Integer), (average, sa.Float)]
    return [sa.literal(name, sa.String).label("part"),
            *(sa.cast(value if value is not None else sa.null(), kind).label(f"c{i}")
              for i, (value, kind) in enumerate(typed))]


def _history_parts() -> list:
    """The parts over the whole history: members, visits and sign-ups of the newest monthly
    cohorts, and the largest referral trees."""
    month = _month(User.created_at).label("month")
    months = (sa.select(month, sa.func.count().label("members")).group_by(month).order_by(month.desc())
              .limit(COHORTS).cte("cohort_months"))
    referrer, invitee = aliased(User), aliased(User)
    by_month = _month(referrer.created_at)
    converted = sa.func.count(Attribution.converted_at)
    return [
        sa.select(*_part("members", a=months.c.month, b=months.c.members)),
        sa.select(*_part("cohort visits", a=by_month, b=sa.func.count())).select_from(Visit)
        .join(referrer, referrer.id == Visit.referrer_id).where(by_month.in_(sa.select(months.c.month)))
        .group_by(by_month),
        sa.select(*_part("cohort signups", a=by_month, b=sa.func.count(), c=converted,
                         average=sa.func.avg(_days(referrer.created_at, invitee.created_at))))
        .select_from(Attribution).join(referrer, referrer.id == Attribution.referrer_id)
        .join(invitee, invitee.id == Attribution.invitee_id).where(by_month.in_(sa.select(months.c.month)))
        .group_by(by_month),
        _limited(sa.select(*_part("roots", who=User.display_name, a=Attribution.root_id, b=sa.func.count(),
                                  c=sa.func.max(Attribution.depth), d=sa.func.count().filter(Attribution.depth == 1)))
                 .join(User, User.id == Attribution.root_id).group_by(Attribution.root_id, User.display_name)
                 .order_by(sa.func.count().desc(), Attribution.root_id).limit(ROOTS)),
    ]


def _period_parts(since: datetime) -> list:
    """The parts since ``since``: shares, visits and sign-ups per channel, and the best referrers."""
    since_day = since.date().isoformat()
    converted = sa.func.count(Attribution.converted_at)
    return [
        sa.select(*_part("shares", Share.channel, a=sa.func.count())).where(Share.day >= since_day)
        .group_by(Share.channel),
        sa.select(*_part("visits", Visit.channel, a=sa.func.count())).where(Visit.day >= since_day)
        .group_by(Visit.channel),
        sa.select(*_part("signups", Attribution.channel, a=sa.func.count(), b=converted))
        .where(Attribution.signed_up_at >= since).group_by(Attribution.channel),
        _limited(sa.select(*_part("leaders", who=User.display_name, a=Attribution.referrer_id, b=sa.func.count(),
                                  c=converted))
                 .join(User, User.id == Attribution.referrer_id).where(Attribution.signed_up_at >= since)
                 .group_by(Attribution.referrer_id, User.display_name)
                 .order_by(converted.desc(), sa.func.count().desc(), Attribution.referrer_id).limit(LEADERS)),
    ]


def _limited(select: sa.Select) -> sa.Select:
    """A part with its own ORDER BY and LIMIT, wrapped so that it may stand in a union."""
    inner = select.subquery()
    return sa.select(*inner.c)


def _channels(parts: dict[str, list]) -> list[dict]:
    rows: dict[str, dict] = {}
    for part, column in (("shares", "shares"), ("visits", "visits"), ("signups", "signups")):
        for label, _name, a, b, *_rest in parts.get(part, ()):
            row = rows.setdefault(label, {"channel": label, "shares": 0, "visits": 0, "signups": 0, "converted": 0})
            row[column] = a
            if part == "signups":
                row["converted"] = b
    return sorted(rows.values(), key=lambda row: (-row["signups"], -row["visits"], row["channel"]))


def _cohorts(parts: dict[str, list]) -> list[Cohort]:
    visits = {row[2]: row[3] for row in parts.get("cohort visits", ())}
    signups = {row[2]: (row[3], row[4], row[6]) for row in parts.get("cohort signups", ())}
    cohorts = []
    for _label, _name, key, count, *_rest in sorted(parts.get("members", ()), key=lambda r: r[2], reverse=True):
        invited, converted, cycle = signups.get(key, (0, 0, None))
        cohorts.append(Cohort(f"{key // 100}-{key % 100:02d}", count, visits.get(key, 0), invited, converted,
                              None if cycle is None else round(float(cycle), 1)))
    return cohorts


def children(user_id: int, limit: int = 100) -> list[Node]:
    """The members ``user_id`` invited, each with how many they invited in turn."""
    below = aliased(Attribution)
    invited = sa.select(sa.func.count()).where(below.referrer_id == Attribution.invitee_id).scalar_subquery()
    rows = db.session.execute(
        sa.select(Attribution.invitee_id, User.display_name, invited).join(User, User.id == Attribution.invitee_id)
        .where(Attribution.referrer_id == user_id).order_by(Attribution.signed_up_at, Attribution.invitee_id)
        .limit(limit)
    ).all()
    return [Node(uid, name, count) for uid, name, count in rows]


