"""The gamification tables. Points themselves live only in the core's ledger (points_entries);
these rows are claims (once-only facts) and small tables the sweeps rebuild from the ledger."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.api import UTCDateTime, db, utcnow


class DailyUse(db.Model):
    """How many awards of one rule a member took on one site day (the daily cap's gate)."""

    __tablename__ = "gamification_daily_uses"
    __table_args__ = (sa.UniqueConstraint("user_id", "rule", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(sa.String(40))
    day: Mapped[date]
    used: Mapped[int] = mapped_column(default=0)


class Standing(db.Model):
    """A member's points and level as last summed from the ledger (a cache, rebuilt on each award)."""

    __tablename__ = "gamification_standings"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    points: Mapped[int] = mapped_column(default=0)
    level: Mapped[int] = mapped_column(default=1, index=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class LevelReached(db.Model):
    """A level a member reached, once (the ``level.reached`` event and notification go with it)."""

    __tablename__ = "gamification_levels_reached"
    __table_args__ = (sa.UniqueConstraint("user_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    level: Mapped[int]
    reached_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class BadgeAward(db.Model):
    """A badge a member earned, once per (member, badge) however many sweeps run."""

    __tablename__ = "gamification_badge_awards"
    __table_args__ = (sa.UniqueConstraint("user_id", "badge"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    badge: Mapped[str] = mapped_column(sa.String(60))
    earned_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Challenge(db.Model):
    """A check-in challenge (打卡) in a circle: ``days`` days from ``starts_on``, with a daily prompt."""

    __tablename__ = "gamification_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(index=True)
    creator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(120))
    prompt: Mapped[str] = mapped_column(sa.Text, default="")
    starts_on: Mapped[date]
    days: Mapped[int] = mapped_column(default=21)
    grace_days: Mapped[int] = mapped_column(default=1)
    ended_on: Mapped[date | None]  # ended early by its creator or a moderator: no check-ins after it
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CheckIn(db.Model):
    """One member's check-in for one site day of a challenge (unique: a second counts nothing)."""

    __tablename__ = "gamification_checkins"
    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "user_id", "day"),
        sa.Index("ix_gamification_checkins_day", "challenge_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("gamification_challenges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    made_up: Mapped[bool] = mapped_column(default=False)
    photo: Mapped[str | None] = mapped_column(sa.String(40))  # a WebP in the storage folder ``checkins``
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class BoardRow(db.Model):
    """One line of a leaderboard as the sweep computed it from the ledger.

    ``scope`` is ``site`` or ``circle:<id>``; ``period`` is ``7``, ``30`` or ``all``.
    """

    __tablename__ = "gamification_board_rows"
    __table_args__ = (sa.Index("ix_gamification_board_rows_board", "scope", "period", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(30))
    period: Mapped[str] = mapped_column(sa.String(5))
    rank: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    points: Mapped[int]
    computed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Engagement(db.Model):
    """A member's engagement U = (I + D + C) / T for the last period and the one before it."""

    __tablename__ = "gamification_engagement"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    interactions: Mapped[int] = mapped_column(default=0)
    discussions: Mapped[int] = mapped_column(default=0)
    completion: Mapped[float] = mapped_column(sa.Double, default=0.0)
    days: Mapped[int] = mapped_column(default=30)
    score: Mapped[float] = mapped_column(sa.Double, default=0.0)
    previous: Mapped[float] = mapped_column(sa.Double, default=0.0)
    drop: Mapped[float] = mapped_column(sa.Double, default=0.0, index=True)
    computed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Grant(db.Model):
    """One points grant's ledger key, found by its item: how a reversal finds what to take back
    through an index instead of a pattern over the ledger's keys.

    ``item`` is what earned it (``forums_posts:1:by7`` for a like); ``subject`` its first two
    parts (``forums_posts:1``), so removing a post reaches its likes too.
    """

    __tablename__ = "gamification_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    rule: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(200), index=True)
    item: Mapped[str] = mapped_column(sa.String(200))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))


class PointDay(db.Model):
    """A member's net points on one site day in one circle (0: outside circles), summed by the
    boards sweep from new ledger entries; rows older than the longest window are dropped."""

    __tablename__ = "gamification_point_days"
    __table_args__ = (sa.UniqueConstraint("day", "circle_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    circle_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(default=0)


class PointTotal(db.Model):
    """A member's net points of all time in one circle (0: outside circles), kept by the boards sweep."""

    __tablename__ = "gamification_point_totals"
    __table_args__ = (sa.UniqueConstraint("circle_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(default=0)


class SweepMark(db.Model):
    """How far a sweep has read the ledger: the highest ``points_entries.id`` it has summed."""

    __tablename__ = "gamification_sweep_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    last_id: Mapped[int] = mapped_column(default=0)
