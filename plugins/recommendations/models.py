"""The recommendations plugin's tables: public cards, precomputed lists, members' "taken" sets,
"not interested" choices and "forget what I did" moments. The refresh job rewrites cards, lists and taken sets; pages read them."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.api import UTCDateTime, db, utcnow


class Card(db.Model):
    """An item's public card as its owner gave it at the last refresh (never paid text)."""

    __tablename__ = "recommendations_cards"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(240))
    url: Mapped[str] = mapped_column(sa.String(500))
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    price_minor: Mapped[int | None]
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    audience: Mapped[str] = mapped_column(sa.String(10), default="public")
    resource_kind: Mapped[str | None] = mapped_column(sa.String(20))
    resource_id: Mapped[str | None] = mapped_column(sa.String(64))
    creator_id: Mapped[int | None]
    free: Mapped[bool] = mapped_column(default=True)
    starts_at = mapped_column(UTCDateTime)  # when a live item (a lecture) starts


class Entry(db.Model):
    """One recommendation in a list: for a member (``owner`` = ``"member:<id>"``), for the
    visitors (``"everyone"``) or beside an item (``owner`` = the item's key), by ``position``.

    ``reason`` says why (``also``, ``similar``, ``interest``, ``popular``, ``new``) with the
    ``because`` item's title or the interest tag and the member's ``action`` on it.
    """

    __tablename__ = "recommendations_entries"
    __table_args__ = (sa.Index("ix_recommendations_entries_owner_position", "owner", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(sa.String(64))
    score: Mapped[float] = mapped_column(sa.Double)
    reason: Mapped[str] = mapped_column(sa.String(10))
    because: Mapped[str] = mapped_column(sa.String(240), default="")
    action: Mapped[str] = mapped_column(sa.String(10), default="")


class Taken(db.Model):
    """The items a member has a signal on at the last refresh (hidden from their lists)."""

    __tablename__ = "recommendations_taken"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    keys: Mapped[list] = mapped_column(sa.JSON, default=list)


class Dismissal(db.Model):
    """A member said "not interested" in an item: never shown to them again, and taken as a
    negative signal by the next refresh."""

    __tablename__ = "recommendations_dismissals"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(64))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Reset(db.Model):
    """A member asked the recommender to forget what they did before ``at``: those signals no
    longer shape their lists or anyone's (the items stay hidden from them)."""

    __tablename__ = "recommendations_resets"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Mark(db.Model):
    """The refresh's high-water mark (``name`` = ``"refresh"``): the moment the last run fitted
    the models at. The next run recomputes only the members with signals, choices or interests
    newer than it."""

    __tablename__ = "recommendations_marks"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    at = mapped_column(UTCDateTime, nullable=False)
