"""The plugin's one table: greetings, each once per key."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.api import UTCDateTime, db, utcnow


class Greeting(db.Model):
    """A greeting on the hello page; ``key`` makes the automatic ones happen once."""

    __tablename__ = "hello_greetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.String(280))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
