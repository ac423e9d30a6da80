"""The points ledger: rows are only ever added; balances are sums."""

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
