"""Notifications, each member's channel per kind, and the digests already claimed."""

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from sqlalchemy.orm import Mapped, mapped_column

from kpay.extensions import db
from kpay.models.base import UTCDateTime, utcnow

CHANNELS = ("in_app", "email", "digest", "off")
BELL_MAX = 99  # the bell counts this many unread and shows "99+" beyond


class Notification(db.Model):
    """One notice for one member. ``channel`` is the one in force when it was sent (never
    ``off``: those are not stored); ``emailed_at``/``digested_at`` say it left by e-mail."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "key"),
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),  # the bell
        sa.Index("ix_notifications_user_id_created_at", "user_id", "created_at", "id"),  # the list
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(50))
    channel: Mapped[str] = mapped_column(sa.String(10))
    text: Mapped[str] = mapped_column(sa.Text)
    # The translatable message (msgid, plural, n, params) that ``text`` was rendered from;
    # None for plain text. Shown and mailed in the reader's language of the moment.
    message: Mapped[dict | None] = mapped_column(sa.JSON)
    url: Mapped[str] = mapped_column(sa.Text)
    key: Mapped[str | None] = mapped_column(sa.String(200))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at = mapped_column(UTCDateTime)
    emailed_at = mapped_column(UTCDateTime)
    digested_at = mapped_column(UTCDateTime)

    @property
    def shown_text(self) -> str:
        """The notice in the current language: its message translated now, else ``text``
        (rows written before messages were kept, or a message no longer in the catalogue)."""
        message = self.message
        if not message:
            return self.text
        translate = MESSAGE_FUNCTIONS.get(message.get("func"))
        try:
            return translate(*message["args"], **message["params"])
        except (KeyError, TypeError, ValueError):
            return self.text


# The translation functions a stored message may name, as in flask_babel's lazy strings.
MESSAGE_FUNCTIONS = {"gettext": gettext, "ngettext": ngettext}


class NotificationPreference(db.Model):
    """A member's chosen channel (one of ``CHANNELS``) for one kind of notification."""

    __tablename__ = "notification_preferences"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(50))
    channel: Mapped[str] = mapped_column(sa.String(10))


class DigestRun(db.Model):
    """The claim on one member's digest for one period (``2025-03-04`` or ``2025-W10``):
    whoever inserts it sends that digest, so it goes once however many clocks run."""

    __tablename__ = "digest_runs"
    __table_args__ = (sa.UniqueConstraint("user_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(sa.String(20))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def unread_count_query(user_id):
    """The member's unread notifications counted up to ``BELL_MAX + 1``, as a scalar subquery:
    an index range of at most 100 rows, however many are unread."""
    unread = (sa.select(sa.literal(1)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
              .limit(BELL_MAX + 1).subquery())
    return sa.select(sa.func.count()).select_from(unread).scalar_subquery()
