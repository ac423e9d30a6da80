"""The admin overview's figures: sign-ups, paid orders and revenue today and this month (in
the site's time zone), and the failed jobs with the setting each one waits for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from kpay.extensions import db
from kpay.models import Job, User
from kpay.models.base import utcnow
from kpay.models.commerce import Order

PAID = ("paid", "refunded")  # refunded ones count net of the refund: nothing


@dataclass(frozen=True)
class Figures:
    """Counts for today and this month; revenue per currency, net of refunds, in minor units."""

    signups_today: int
    signups_month: int
    orders_today: int
    orders_month: int
    revenue_today: dict[str, int]
    revenue_month: dict[str, int]


def period_starts(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The start of today and of this month in the site's time zone, as aware datetimes."""
    local = (now or utcnow()).astimezone(ZoneInfo(current_app.config["KPAY"]["timezone"]))
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return today, today.replace(day=1)


def figures(now: datetime | None = None) -> Figures:
    """This month's and today's sign-ups, paid orders and revenue: two statements."""
    today, month = period_starts(now)
    signups = db.session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.case((User.created_at >= today, User.id))))
        .where(User.created_at >= month)
    ).one()
    net = Order.amount_minor - Order.refunded_minor
    rows = db.session.execute(
        sa.select(
            Order.currency, sa.func.count(), sa.func.count(sa.case((Order.paid_at >= today, Order.id))),
            sa.func.sum(net), sa.func.coalesce(sa.func.sum(sa.case((Order.paid_at >= today, net))), 0),
        )
        .where(Order.paid_at >= month, Order.status.in_(PAID))
        .group_by(Order.currency).order_by(Order.currency)
    ).all()
    return Figures(
        signups_today=signups[1], signups_month=signups[0],
        orders_today=sum(row[2] for row in rows), orders_month=sum(row[1] for row in rows),
        revenue_today={row[0]: int(row[4]) for row in rows}, revenue_month={row[0]: int(row[3]) for row in rows},
    )


def failed_jobs(limit: int = 5) -> Sequence[Job]:
    """The latest failed jobs, newest first."""
    return db.session.scalars(
        sa.select(Job).where(Job.status == "failed").order_by(Job.id.desc()).limit(limit)
    ).all()
