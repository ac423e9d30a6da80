"""Members and their roles."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from kpay.extensions import db
from kpay.models.base import UTCDateTime, utcnow

# Highest first; a role holds what every role after it holds.
ROLES = ("owner", "admin", "moderator", "creator", "member")
STATUSES = ("active", "disabled", "banned", "deleted")
DIGESTS = ("off", "daily", "weekly")


class User(UserMixin, db.Model):
    """A member of the community; ``role`` is one of ``ROLES``, ``status`` of ``STATUSES``.

    ``avatar`` is the generated file name of the re-encoded picture in instance/avatars/;
    ``interests`` a list of tags; ``digest`` how often notifications are e-mailed in bulk;
    ``status_reason`` why an admin disabled or banned the member. A ``deleted`` member asked
    to be erased: the row stays, anonymised, so the ledgers that point at it still balance.
    """

    __tablename__ = "users"
    __table_args__ = (  # the admin members list's orders: newest (or oldest) first, by name
        sa.Index("ix_users_created_at_id", "created_at", "id"),
        sa.Index("ix_users_display_name_id", "display_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), default="member")
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    session_version: Mapped[int] = mapped_column(default=1)
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    avatar: Mapped[str | None] = mapped_column(sa.String(100))
    interests: Mapped[list] = mapped_column(sa.JSON, default=list)
    digest: Mapped[str] = mapped_column(sa.String(10), default="weekly")
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    email_confirmed_at = mapped_column(UTCDateTime)
    last_login_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (Werkzeug's default, scrypt)."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """True when ``password`` is this member's password."""
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """The login token: id and session version, so bumping the version ends sessions."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_confirmed(self) -> bool:
        """True when the member confirmed their address, or the site does not ask them to.

        Features open to confirmed members only check this.
        """
        if self.email_confirmed_at is not None:
            return True
        return not (has_app_context() and current_app.config["KPAY"]["require_email_confirmation"])

    def has_role(self, role: str) -> bool:
        """True when this member's role is ``role`` or above it."""
        return ROLES.index(self.role) <= ROLES.index(role)

    @property
    def is_admin(self) -> bool:
        return self.has_role("admin")
