"""The lectures plugin's tables: lectures, RSVPs (going or waiting), reminders, questions and
their votes, and members' private calendar-feed tokens.

A lecture keeps the organizer's wall time and IANA zone (``local_start``, ``zone``) and the
UTC instant derived from them (``starts_at``) with the offset used (``utc_offset``), so a change
of the zone's rules is seen and the instant derived again (RELIABILITY F7). ``going_count`` is
changed only by conditional updates, which is what keeps a full lecture from taking a seat more.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kpay.api import UTCDateTime, db, utcnow

STATUSES = ("scheduled", "cancelled")
RSVP_STATUSES = ("going", "waiting", "not_going")


class Lecture(db.Model):
    """A live lecture by ``creator_id``; ``product_id``/``membership_product_id`` sell it (none: free
    to every member); ``series`` groups the weeks of a weekly series."""

    __tablename__ = "lectures_lectures"

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"), index=True)
    membership_product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"))
    series: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    speakers: Mapped[str] = mapped_column(sa.String(240), default="")
    local_start = mapped_column(sa.DateTime, nullable=False)  # the organizer's wall time, naive
    zone: Mapped[str] = mapped_column(sa.String(64))
    starts_at = mapped_column(UTCDateTime, nullable=False)
    utc_offset: Mapped[int] = mapped_column(default=0)  # seconds, what starts_at was derived with
    minutes: Mapped[int] = mapped_column(default=60)
    capacity: Mapped[int | None] = mapped_column()
    going_count: Mapped[int] = mapped_column(default=0)
    provider: Mapped[str] = mapped_column(sa.String(40), default="url")
    meeting_url: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="scheduled")
    started_at = mapped_column(UTCDateTime)  # when lecture.started was emitted, once
    replay_url: Mapped[str] = mapped_column(sa.String(500), default="")
    replay_notes: Mapped[str] = mapped_column(sa.Text, default="")
    replay_file: Mapped[str | None] = mapped_column(sa.String(64))  # stored name in the "lectures" folder
    replay_type: Mapped[str | None] = mapped_column(sa.String(40))
    replay_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (sa.Index("ix_lectures_lectures_status_starts_at", "status", "starts_at", "id"),
                      sa.Index("ix_lectures_lectures_creator_id_starts_at", "creator_id", "starts_at", "id"))

    creator = relationship("User", viewonly=True)

    @property
    def free(self) -> bool:
        return self.product_id is None and self.membership_product_id is None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def has_replay(self) -> bool:
        return bool(self.replay_url or self.replay_file)

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.going_count >= self.capacity


class Rsvp(db.Model):
    """A member's answer to a lecture: ``going`` (a seat), ``waiting`` (in line by ``id``) or
    ``not_going``; ``attended_at`` once they opened the meeting during the lecture."""

    __tablename__ = "lectures_rsvps"
    __table_args__ = (sa.UniqueConstraint("lecture_id", "user_id"),
                      sa.Index("ix_lectures_rsvps_lecture_id_status_id", "lecture_id", "status", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lecture_id: Mapped[int] = mapped_column(sa.ForeignKey("lectures_lectures.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    attended_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    user = relationship("User", viewonly=True)


class Reminder(db.Model):
    """One reminder of one lecture to one attendee (``kind``: minutes before the start), claimed
    and marked sent in the transaction that queues its notice: sent at most once, and once
    unless a crash hit that very row (RELIABILITY F6)."""

    __tablename__ = "lectures_reminders"
    __table_args__ = (sa.UniqueConstraint("lecture_id", "user_id", "kind"),
                      sa.Index("ix_lectures_reminders_sent_at_due_at", "sent_at", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lecture_id: Mapped[int] = mapped_column(sa.ForeignKey("lectures_lectures.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[int] = mapped_column()
    due_at = mapped_column(UTCDateTime, nullable=False)
    claimed_at = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at = mapped_column(UTCDateTime)


class Question(db.Model):
    """A question asked ahead of or during a lecture; ``votes`` counts ``Vote`` rows."""

    __tablename__ = "lectures_questions"
    __table_args__ = (sa.Index("ix_lectures_questions_lecture_id_votes", "lecture_id", "votes", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lecture_id: Mapped[int] = mapped_column(sa.ForeignKey("lectures_lectures.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(sa.String(1000))
    votes: Mapped[int] = mapped_column(default=0)
    answered: Mapped[bool] = mapped_column(default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    user = relationship("User", viewonly=True)


class Vote(db.Model):
    """One member's upvote of one question."""

    __tablename__ = "lectures_votes"
    __table_args__ = (sa.UniqueConstraint("question_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("lectures_questions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)


class FeedToken(db.Model):
    """The secret in a member's private calendar-feed URL; a new one revokes the old."""

    __tablename__ = "lectures_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
