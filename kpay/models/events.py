"""The activity log: one row per thing that happened, the source for feeds and analytics."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.extensions import db
from kpay.models.base import UTCDateTime, append_only, utcnow


class ActivityEvent(db.Model):
    """Something a member did or that happened to them, e.g. ``user.signed_up``."""

    __tablename__ = "activity_events"
    __table_args__ = (sa.Index("ix_activity_events_name_created", "name", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    subject_type: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[str | None] = mapped_column(sa.String(64))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


append_only(ActivityEvent)
