"""Reading: the topic lists (latest, top, unanswered, featured) and a topic's posts, paged by
keyset so page 1,000 costs what page 1 costs, with per-member unread markers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from kpay.extensions import db
from kpay.models.base import utcnow
from kpay.models.commerce import Product
from kpay.transactions import insert_once
from plugins.forums.models import (
    Circle,
    Like,
    Membership,
    Post,
    ReadMarker,
    Topic,
    Watch,
)

PAGE_SIZE = 30
LISTS = ("latest", "top", "unanswered", "featured")
PERIODS = {"week": 7, "month": 30, "all": None}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Opening:
    """What a feed shows of a topic beyond its row: the opening post's text (None while it is
    not visible) and its author's role in the circle (None for a plain or former member)."""

    body: str | None
    role: str | None


@dataclass
class Page:
    """A page of rows, the cursor of the next page (None on the last), and for topics the
    member's read marker of each (topic id to post number; absent when never opened) and, for
    the feed, each topic's ``Opening``."""

    rows: list
    next_cursor: str | None
    read: dict[int, int] = field(default_factory=dict)
    openings: dict[int, Opening] = field(default_factory=dict)


def _with_markers(query, user, feed: bool = False):
    """``query`` (of topics) with the member's read marker of each as a second column and, for
    the feed, the opening post's body and its author's circle role (joined: still one statement)."""
    uid = user.id if getattr(user, "is_authenticated", False) else None
    marker = sa.select(ReadMarker.last_number).where(ReadMarker.topic_id == Topic.id, ReadMarker.user_id == uid)
    query = query.add_columns(marker.scalar_subquery())
    if feed:
        opening, author = aliased(Post), aliased(Membership)
        query = (
            query.outerjoin(opening, sa.and_(opening.topic_id == Topic.id, opening.number == 1, opening.status == "visible"))
            .outerjoin(author, sa.and_(author.circle_id == Topic.circle_id, author.user_id == Topic.author_id,
                                       author.active.is_(True)))
            .add_columns(opening.body, author.role)
        )
    return query


def _page(rows, limit: int, cursor) -> Page:
    """A Page from (topic, marker[, body, role]) rows fetched with one extra row to know whether more follow."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([row[0] for row in rows], cursor(rows[-1][0]) if more and rows else None,
                {row[0].id: row[1] for row in rows if row[1] is not None},
                {row[0].id: Opening(*row[2:]) for row in rows if len(row) > 2})


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
           limit: int = PAGE_SIZE, user=None, feed: bool = False) -> Page:
    """One page of visible topics of the given circles, in the list's order, after ``cursor``,
    with ``user``'s read markers (and, for the ``feed``, their openings)."""
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
    query = _with_markers(query.order_by(column.desc(), id_column.desc()).limit(limit + 1), user, feed)
    return _page(db.session.execute(query).unique().all(), limit, lambda topic: _cursor(kind, topic))


def pinned(circle_id: int, user=None, feed: bool = False) -> Page:
    """The circle's pinned topics (first on the latest list's first page), with read markers
    (and, for the ``feed``, their openings)."""
    query = _with_markers(
        sa.select(Topic).options(joinedload(Topic.author))
        .where(Topic.circle_id == circle_id, Topic.status == "visible", Topic.pinned.is_(True))
        .order_by(Topic.bumped_at.desc(), Topic.id.desc()).limit(10), user, feed)
    return _page(db.session.execute(query).unique().all(), 10, lambda topic: None)


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


@dataclass
class Reading:
    """A page of a topic as one member reads it, from two statements."""

    topic: Topic
    last_read: int  # the member's read marker (0 for visitors and first visits)
    watching: bool
    page: Page = None
    liked: set[int] = None  # ids of the page's posts the member likes
    experts: set[int] = None  # authors on the page who answer as experts


STAFF_ROLES = ("owner", "admin", "moderator", "creator")


def reading(topic_id: int, user) -> Reading | None:
    """The topic with the member's read marker and watch (one statement), or None."""
    uid = user.id if getattr(user, "is_authenticated", False) else None
    marker = sa.select(ReadMarker.last_number).where(ReadMarker.topic_id == Topic.id, ReadMarker.user_id == uid)
    watch = sa.exists().where(Watch.target == "topic", Watch.target_id == Topic.id, Watch.user_id == uid)
    row = db.session.execute(
        sa.select(Topic, marker.scalar_subquery(), watch).where(Topic.id == topic_id)
    ).unique().first()
    if row is None or row[0].status == "deleted":
        return None
    return Reading(row[0], row[1] or 0, bool(row[2]))


def posts_for(found: Reading, user, after: int = 0, limit: int = PAGE_SIZE) -> Reading:
    """Fill in up to ``limit`` posts numbered above ``after`` with their authors, whether the
    member likes each, and which authors are experts (one statement)."""
    topic = found.topic
    uid = user.id if getattr(user, "is_authenticated", False) else None
    liked = sa.exists().where(Like.post_id == Post.id, Like.user_id == uid)
    moderator = sa.exists().where(Membership.circle_id == topic.circle_id, Membership.user_id == Post.author_id,
                                  Membership.role == "moderator")
    rows = db.session.execute(
        sa.select(Post, liked, moderator).options(joinedload(Post.author))
        .where(Post.topic_id == topic.id, Post.number > after).order_by(Post.number).limit(limit + 1)
    ).unique().all()
    more = len(rows) > limit
    rows = rows[:limit]
    found.page = Page([r[0] for r in rows], str(rows[-1][0].number) if more and rows else None)
    found.liked = {post.id for post, is_liked, _ in rows if is_liked}
    found.experts = {post.author_id for post, _, is_moderator in rows
                     if post.author is not None and (is_moderator or post.author.role in STAFF_ROLES)}
    return found


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


def directory() -> list[tuple[Circle, Product | None]]:
    """Every circle with the product that unlocks it (for its price), biggest first."""
    return list(db.session.execute(
        sa.select(Circle, Product).outerjoin(Product, Product.id == Circle.product_id)
        .order_by(Circle.member_count.desc(), Circle.id)).all())


def my_circles(user, limit: int = 12) -> list[tuple[Circle, int]]:
    """The circles the member belongs to, each with how many of its topics have posts they
    have not read (counting topics active since they joined), busiest first; one statement."""
    unread = sa.and_(
        Topic.id.is_not(None),
        sa.func.coalesce(ReadMarker.last_number, 0) < Topic.post_count,
    )
    count = sa.func.count(sa.case((unread, Topic.id)))
    return db.session.execute(
        sa.select(Circle, count)
        .join(Membership, sa.and_(Membership.circle_id == Circle.id, Membership.user_id == user.id,
                                  Membership.active.is_(True)))
        .outerjoin(Topic, sa.and_(Topic.circle_id == Circle.id, Topic.status == "visible",
                                  Topic.bumped_at > Membership.joined_at))
        .outerjoin(ReadMarker, sa.and_(ReadMarker.topic_id == Topic.id, ReadMarker.user_id == user.id))
        .group_by(Circle.id)
        .order_by(count.desc(), Circle.name, Circle.id)
        .limit(limit)
    ).all()
