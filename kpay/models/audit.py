"""The audit log: who did what to whom, when, from where; never edited."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.extensions import db
from kpay.models.base import UTCDateTime, append_only, utcnow


class AuditEntry(db.Model):
    """One admin, moderator or security action with the values before and after it."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    after: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


append_only(AuditEntry, in_database=True)
