"""Data exports a member asked for: a ZIP built by a job, downloadable for a week."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.extensions import db
from kpay.models.base import UTCDateTime, utcnow

EXPORT_LIFETIME = timedelta(days=7)


class ExportRequest(db.Model):
    """One "Download my data" request; ``status`` is ``pending``, ``ready`` or ``failed``.

    ``token`` names the file instance/exports/<token>.zip; only its member may download it,
    until ``expires_at``.
    """

    __tablename__ = "export_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)

    @property
    def expired(self) -> bool:
        return self.expires_at <= utcnow()
