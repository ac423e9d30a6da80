"""The points ledger: rows are only ever added; each member's balance is kept beside it."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.extensions import db
from kpay.models.base import UTCDateTime, append_only, utcnow


class PointsEntry(db.Model):
    """Points given (positive) or taken (negative) for one reason, once per ``key``."""

    __tablename__ = "points_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(200))
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


append_only(PointsEntry, in_database=True)


class PointsBalance(db.Model):
    """A member's points now: the sum of their entries, moved with each one by
    ``kpay.points.award`` (one row read for the home page, whatever the history)."""

    __tablename__ = "points_balances"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    points: Mapped[int]
