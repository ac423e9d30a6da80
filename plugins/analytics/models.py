"""The analytics tables: daily and monthly rollups kept by the rollup job, page views, costs, cursors.

Nothing here is a source of truth: ``kpay analytics rebuild`` recomputes every rollup from the
activity events, the page views and the money ledger, and must give what the job kept.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.api import UTCDateTime, db, utcnow


class Daily(db.Model):
    """One figure of one day (in the site's time zone): ``metric`` split by ``dim``.

    ``dim`` is ``""`` for a site total, else what the metric is split by: a source
    (``utm:news``), a currency (``CNY``), a circle's id (``I_circle``), a currency and a product
    or creator (``gross_p``: ``CNY:4``); docs/analytics.md lists them. Values are integers:
    money in minor units, course completion in millionths of a course.
    """

    __tablename__ = "analytics_daily"
    # The key serves one metric and dim over days (a series); the named index, every dim of a
    # few metrics over a few days (the days at a range's edges), with the value in it so the
    # table is not read (SQLite is told to use it by name: figures.DAILY_BY_DAY).
    __table_args__ = (sa.PrimaryKeyConstraint("metric", "dim", "day"),
                      sa.Index("ix_analytics_daily_metric_day_dim_value", "metric", "day", "dim", "value"))

    day: Mapped[date] = mapped_column(sa.Date)
    metric: Mapped[str] = mapped_column(sa.String(40))
    dim: Mapped[str] = mapped_column(sa.String(120), default="")
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Monthly(db.Model):
    """The sum of a metric's daily rows over one calendar month (``month`` its first day), kept
    beside them by the same job, so a long range reads twelve rows instead of 365."""

    __tablename__ = "analytics_monthly"
    __table_args__ = (sa.Index("ix_analytics_monthly_metric_dim_month", "metric", "dim", "month"),)

    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    dim: Mapped[str] = mapped_column(sa.String(120), primary_key=True, default="")
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Name(db.Model):
    """What the latest event about a circle, course or topic (``kind``) called it, and its
    owner (the circle's or course's creator): names on the dashboard, and what a creator sees."""

    __tablename__ = "analytics_names"
    __table_args__ = (sa.Index("ix_analytics_names_owner_id_kind", "owner_id", "kind"),)

    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    item: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # the id, as the rollups' dim
    name: Mapped[str] = mapped_column(sa.String(200))
    owner_id: Mapped[int | None] = mapped_column(sa.Integer)


class TopicStart(db.Model):
    """When a topic was started and by whom, and when someone else first replied: the time to
    first reply."""

    __tablename__ = "analytics_topic_starts"

    topic_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    author_id: Mapped[int | None] = mapped_column(sa.Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Imported(db.Model):
    """Daily figures from before the site recorded events (another platform's, or the demo's):
    a rebuild starts from them."""

    __tablename__ = "analytics_imported"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    dim: Mapped[str] = mapped_column(sa.String(120), primary_key=True, default="")
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class MemberDay(db.Model):
    """A member's engagement terms on one day: interactions, discussions, completion (millionths)."""

    __tablename__ = "analytics_member_days"
    __table_args__ = (sa.Index("ix_analytics_member_days_user_id_day", "user_id", "day"),)

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    interactions: Mapped[int] = mapped_column(sa.Integer, default=0)
    discussions: Mapped[int] = mapped_column(sa.Integer, default=0)
    completion: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class TopicDay(db.Model):
    """That a member took part in a topic on a day: a topic counts once per member and day in D."""

    __tablename__ = "analytics_topic_days"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    topic_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class MemberMonth(db.Model):
    """That a member was active (a member-day) in a month: each counts once in their cohort."""

    __tablename__ = "analytics_member_months"

    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # the first of the month
    user_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)


class MemberSource(db.Model):
    """Where a member came from when they signed up: ``utm:<source>``, ``ref:<host>`` or ``direct``."""

    __tablename__ = "analytics_member_sources"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(120))


class PageView(db.Model):
    """One page view, without IP address, user agent or member: the visitor is a hash of them
    with the day's salt, which is deleted when the day is over."""

    __tablename__ = "analytics_page_views"
    __table_args__ = (sa.Index("ix_analytics_page_views_day_visitor", "day", "visitor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date)
    path: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[str] = mapped_column(sa.String(120), default="")  # set on a visit's landing page
    visitor: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Salt(db.Model):
    """The salt of a day's visitor hashes; the rollup job deletes yesterday's."""

    __tablename__ = "analytics_salts"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    salt: Mapped[str] = mapped_column(sa.String(64))


class Cost(db.Model):
    """What running the community cost in a month (entered by an admin), for E = S·U / C."""

    __tablename__ = "analytics_costs"

    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # the first of the month
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cursor(db.Model):
    """How far the rollup job has read a source (``events``, ``ledger``, ``views``): the last id."""

    __tablename__ = "analytics_cursors"

    source: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    last_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
