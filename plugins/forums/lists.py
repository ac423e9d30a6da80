"""Reading: the topic lists (latest, top, unanswered, featured) and a topic's posts, paged by
keyset so page 1,000 costs what page 1 costs, with per-member unread markers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from kpay.extensions import db
from kpay.models.base import utcnow
from kpay.transactions import insert_once
from plugins.forums.models import Circle, Like, Post, ReadMarker, Topic

log = logging.getLogger("kpay.forums")

PAGE_SIZE = 30
LISTS = ("latest", "top", "unanswered", "featured")
PERIODS = {"week": 7, "month": 30, "all": None}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Page:
    """A page of rows and the cursor of the next page (None on the last)."""

    rows: list
    next_cursor: str | None


def _order(kind: str):
    """The (sort column, id) pair a list is ordered by, newest or best first."""
    if kind == "top":
        return Topic.like_count, Topic.id
    if kind == "featured":
        return Topic.featured_at, Topic.id
    if kind == "unanswered":
        return Topic.created_at, Topic.id
    return Topic.bumped_at, Topic.id


def _parse_cursor(kind: str, cursor: str | None):
    """(sort value, id) from a cursor such as ``1700000000123456.42``, or None when absent or bad."""
    if not cursor:
        return None
    try:
        value, _, topic_id = cursor.partition(".")
        value, topic_id = int(value), int(topic_id)
    except ValueError:
        return None
    if kind != "top":
        value = EPOCH + timedelta(microseconds=value)
    return value, topic_id


def _cursor(kind: str, topic: Topic) -> str:
    column, _ = _order(kind)
    value = getattr(topic, column.key)
    if kind != "top":
        value = (value - EPOCH) // timedelta(microseconds=1)
    return f"{value}.{topic.id}"


def topics(circle_ids: list[int], kind: str = "latest", cursor: str | None = None, period: str = "all",
           limit: int = PAGE_SIZE) -> Page:
    """One page of visible topics of the given circles, in the list's order, after ``cursor``."""
    column, id_column = _order(kind)
    query = (
        sa.select(Topic).options(joinedload(Topic.author))
        .where(Topic.circle_id.in_(circle_ids), Topic.status == "visible")
    )
    if kind == "latest":
        query = query.where(Topic.pinned.is_(False)) if len(circle_ids) == 1 else query
    elif kind == "top" and PERIODS.get(period):
        query = query.where(Topic.created_at >= utcnow() - timedelta(days=PERIODS[period]))
    elif kind == "unanswered":
        query = query.where(Topic.kind == "question", Topic.accepted_post_id.is_(None))
    elif kind == "featured":
        query = query.where(Topic.featured_at.is_not(None))
    after = _parse_cursor(kind, cursor)
    if after is not None:
        value, last_id = after
        query = query.where(sa.or_(column < value, sa.and_(column == value, id_column < last_id)))
    rows = list(db.session.scalars(query.order_by(column.desc(), id_column.desc()).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _cursor(kind, rows[-1]) if more and rows else None)


def pinned(circle_id: int) -> list[Topic]:
    """The circle's pinned topics (announcements first on the latest list's first page)."""
    return list(db.session.scalars(
        sa.select(Topic).options(joinedload(Topic.author))
        .where(Topic.circle_id == circle_id, Topic.status == "visible", Topic.pinned.is_(True))
        .order_by(Topic.bumped_at.desc(), Topic.id.desc()).limit(10)
    ).unique())


def read_upto(user, topic_ids: list[int]) -> dict[int, int]:
    """The highest post number the member has read, per topic (one query; empty for visitors)."""
    if not getattr(user, "is_authenticated", False) or not topic_ids:
        return {}
    return dict(db.session.execute(
        sa.select(ReadMarker.topic_id, ReadMarker.last_number)
        .where(ReadMarker.user_id == user.id, ReadMarker.topic_id.in_(topic_ids))
    ).all())


def mark_read(user, topic_id: int, number: int) -> None:
    """Move the member's read marker of the topic forward to ``number`` (never back)."""
    if not getattr(user, "is_authenticated", False) or number <= 0:
        return
    if insert_once(ReadMarker, ("user_id", "topic_id"), user_id=user.id, topic_id=topic_id, last_number=number) is None:
        db.session.execute(
            sa.update(ReadMarker)
            .where(ReadMarker.user_id == user.id, ReadMarker.topic_id == topic_id, ReadMarker.last_number < number)
            .values(last_number=number)
        )


def save_read_marker(user, topic_id: int, number: int) -> None:
    """Commit ``mark_read`` from a page view, on a best-effort basis.

    A GET reads in a deferred SQLite transaction (``kpay.sqlite``); its write can find the
    database locked by another writer. The marker is then left as it was: the member's next
    view moves it, and the page they asked for is still shown.
    """
    db.session.commit()  # end the read transaction: the write starts a fresh one
    try:
        mark_read(user, topic_id, number)
        db.session.commit()
    except sa.exc.OperationalError:
        db.session.rollback()
        log.info("read marker of topic %s not saved: the database is busy", topic_id)


def posts(topic: Topic, after: int = 0, limit: int = PAGE_SIZE) -> Page:
    """Up to ``limit`` posts of the topic numbered above ``after`` (with authors; deleted ones
    keep their place so numbers and links stay put)."""
    rows = list(db.session.scalars(
        sa.select(Post).options(joinedload(Post.author))
        .where(Post.topic_id == topic.id, Post.number > after)
        .order_by(Post.number).limit(limit + 1)
    ).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, str(rows[-1].number) if more and rows else None)


def liked_by(user, post_ids: list[int]) -> set[int]:
    """Which of these posts the member likes (one query)."""
    if not getattr(user, "is_authenticated", False) or not post_ids:
        return set()
    return set(db.session.scalars(sa.select(Like.post_id).where(Like.user_id == user.id, Like.post_id.in_(post_ids))))


def quoted(post_ids: list[int]) -> dict[int, Post]:
    """The posts quoted by a page of posts, by id (one query)."""
    ids = [i for i in post_ids if i]
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(
        sa.select(Post).options(joinedload(Post.author)).where(Post.id.in_(ids))).unique()}


def all_circles() -> list[Circle]:
    """Every circle, biggest first (the directory lists all; each page checks access itself)."""
    return list(db.session.scalars(sa.select(Circle).order_by(Circle.member_count.desc(), Circle.id)))
