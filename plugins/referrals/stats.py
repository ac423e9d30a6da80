"""The operator's figures: activity per month and channel, the viral K-factor by monthly
cohort, the referral tree and the leaderboard. Each is one or two grouped statements.

K-factor of a cohort (the members who joined in one month, UTC): invitations per member (visits
through their links ÷ members) × conversion (invited sign-ups ÷ visits), which is invited
sign-ups ÷ members. Paid conversions count the invitees who paid and were not refunded in
full (``converted_at``, cleared by a full refund of every paid order). Cycle time: the average
days from a member joining to a member they invited joining.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from kpay.api import User, db
from plugins.referrals.models import Attribution, Share, Visit


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


def cohorts(limit: int = 12) -> list[Cohort]:
    """The latest ``limit`` monthly cohorts, newest first."""
    month = _month(User.created_at).label("month")
    members = dict(db.session.execute(
        sa.select(month, sa.func.count()).group_by(month).order_by(month.desc()).limit(limit)).all())
    if not members:
        return []
    referrer = aliased(User)
    invitee = aliased(User)
    by_month = _month(referrer.created_at).label("month")
    visits = dict(db.session.execute(
        sa.select(by_month, sa.func.count()).select_from(Visit).join(referrer, referrer.id == Visit.referrer_id)
        .where(by_month.in_(list(members))).group_by(by_month)).all())
    signups = {row[0]: row[1:] for row in db.session.execute(
        sa.select(by_month, sa.func.count(), sa.func.count(Attribution.converted_at),
                  sa.func.avg(_days(referrer.created_at, invitee.created_at)))
        .select_from(Attribution).join(referrer, referrer.id == Attribution.referrer_id)
        .join(invitee, invitee.id == Attribution.invitee_id)
        .where(by_month.in_(list(members))).group_by(by_month))}
    cohorts = []
    for key, count in sorted(members.items(), reverse=True):
        invited, converted, cycle = signups.get(key, (0, 0, None))
        cohorts.append(Cohort(f"{key // 100}-{key % 100:02d}", count, visits.get(key, 0), invited, converted,
                              None if cycle is None else round(float(cycle), 1)))
    return cohorts


def channels(since: datetime) -> list[dict]:
    """Shares, visits, sign-ups and paid conversions per channel since ``since``."""
    since_day = since.date().isoformat()
    rows: dict[str, dict] = {}

    def add(channel: str, name: str, count: int) -> None:
        rows.setdefault(channel, {"channel": channel, "shares": 0, "visits": 0, "signups": 0, "converted": 0})[name] = count

    for channel, count in db.session.execute(
            sa.select(Share.channel, sa.func.count()).where(Share.day >= since_day).group_by(Share.channel)):
        add(channel, "shares", count)
    for channel, count in db.session.execute(
            sa.select(Visit.channel, sa.func.count()).where(Visit.day >= since_day).group_by(Visit.channel)):
        add(channel, "visits", count)
    for channel, count, converted in db.session.execute(
            sa.select(Attribution.channel, sa.func.count(), sa.func.count(Attribution.converted_at))
            .where(Attribution.signed_up_at >= since).group_by(Attribution.channel)):
        add(channel, "signups", count)
        add(channel, "converted", converted)
    return sorted(rows.values(), key=lambda row: (-row["signups"], -row["visits"], row["channel"]))


@dataclass(frozen=True)
class Node:
    user_id: int
    name: str
    invited: int  # members this one invited directly
    size: int = 0  # members in the tree under a root
    depth: int = 0  # generations under a root


def roots(limit: int = 20) -> list[Node]:
    """The largest referral trees: their first referrer, size and depth."""
    rows = db.session.execute(
        sa.select(Attribution.root_id, User.display_name, sa.func.count(), sa.func.max(Attribution.depth),
                  sa.func.count().filter(Attribution.depth == 1))
        .join(User, User.id == Attribution.root_id).group_by(Attribution.root_id, User.display_name)
        .order_by(sa.func.count().desc(), Attribution.root_id).limit(limit)
    ).all()
    return [Node(root, name, direct, size, depth) for root, name, size, depth, direct in rows]


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


def leaderboard(since: datetime, limit: int = 10) -> list[tuple[str, int, int]]:
    """The referrers with the most paid conversions among members they brought since ``since``:
    name, sign-ups, conversions."""
    converted = sa.func.count(Attribution.converted_at)
    return [tuple(row) for row in db.session.execute(
        sa.select(User.display_name, sa.func.count(), converted).join(User, User.id == Attribution.referrer_id)
        .where(Attribution.signed_up_at >= since).group_by(Attribution.referrer_id, User.display_name)
        .order_by(converted.desc(), sa.func.count().desc(), Attribution.referrer_id).limit(limit))]
