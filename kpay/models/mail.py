"""E-mails as rows: written with the change that causes them, delivered once by a job."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.extensions import db
from kpay.models.base import UTCDateTime, utcnow


class EmailMessage(db.Model):
    """One e-mail to one address. ``sent_at`` is set once it left; ``key`` makes it once.

    A ``private`` message holds a personal link (confirmation, password reset): the admin
    outbox shows its headers, never its body.
    """

    __tablename__ = "email_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    private: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)
