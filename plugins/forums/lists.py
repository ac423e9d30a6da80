"""Reading: the topic lists (latest, top, unanswered, featured) and a topic's posts, paged by
keyset so page 1,000 costs what page 1 costs, with per-member unread markers."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import aliased, lazyload

from kpay.api import Product, User, db, insert_once, utcnow
from plugins.forums.models import Circle, Like, Membership, Post, ReadMarker, Topic, Watch

PAGE_SIZE = 30
PINNED_MAX = 10
LISTS = ("latest", "top", "unanswered", "featured")
PERIODS = {"week": 7, "month": 30, "all": None}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Opening:
    """What a feed shows of a topic beyond its row: the opening post's text (None while it is
    not visible) and its author's role in the circle (None for a plain or former member)."""

    body: str | None
    role: str | None


class Author(NamedTuple):
    """What a list shows of a topic's or post's author."""

    id: int
    display_name: str
    avatar: str | None
    role: str


class TopicRow(NamedTuple):
    """A topic as its lists show it, read as a plain row (nothing writes it)."""

    id: int
    circle_id: int
    circle_name: str
    title: str
    kind: str
    tags: str
    pinned: bool
    locked: bool
    featured_at: datetime | None
    accepted_post_id: int | None
    post_count: int
    reply_count: int
    like_count: int
    bumped_at: datetime
    created_at: datetime
    author: Author | None

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]


@dataclass
class Page:
    """A page of rows, the cursor of the next page (None on the last), and for topics the
    member's read marker of each (topic id to post number; absent when never opened),
    on a circle's first latest page, its pinned topics and, for the feed, each topic's ``Opening``."""

    rows: list
    next_cursor: str | None
    read: dict[int, int] = field(default_factory=dict)
    pinned: list = field(default_factory=list)
    openings: dict[int, Opening] = field(default_factory=dict)


TOPIC_COLUMNS = (Topic.id, Topic.circle_id, Circle.name, Topic.title, Topic.kind, Topic.tags, Topic.pinned,
                 Topic.locked, Topic.featured_at, Topic.accepted_post_id, Topic.post_count, Topic.reply_count,
                 Topic.like_count, Topic.bumped_at, Topic.created_at)
AUTHOR_COLUMNS = (User.id, User.display_name, User.avatar, User.role)


def _rows(statement, values: dict) -> list:
    """The rows of a statement of columns (no entities), run as Core on the session's
    connection: through the session, its aliased tables would take every row through the ORM's
    result machinery (~0.06 ms a page of 30). Reading only, so there is nothing to flush first."""
    return db.session.connection().execute(statement, values).all()


def _uid(user) -> int | None:
    return user.id if getattr(user, "is_authenticated", False) else None


def _topic_rows(member: bool, section: int, feed: bool = False):
    """Topics with their circle's name, author and the member's read marker (``:uid``), as
    joins (no per-row subquery); ``section`` orders the pinned before the rest in one statement.
    The ``feed`` also joins the visible opening post's body and its author's circle role."""
    marker = ReadMarker.last_number if member else sa.null()
    opening, role = aliased(Post), aliased(Membership)
    extra = (opening.body.label("opening_body"), role.role.label("circle_role")) if feed else ()
    query = (sa.select(*TOPIC_COLUMNS, *AUTHOR_COLUMNS, marker.label("marker"), sa.literal(section).label("section"),
                       *extra)
             .select_from(Topic).join(Circle, Circle.id == Topic.circle_id).outerjoin(User, User.id == Topic.author_id))
    if member:
        query = query.outerjoin(ReadMarker, sa.and_(ReadMarker.topic_id == Topic.id,
                                                    ReadMarker.user_id == sa.bindparam("uid")))
    if feed:
        query = (query.outerjoin(opening, sa.and_(opening.topic_id == Topic.id, opening.number == 1,
                                                  opening.status == "visible"))
                 .outerjoin(role, sa.and_(role.circle_id == Topic.circle_id, role.user_id == Topic.author_id,
                                          role.active.is_(True))))
    return query


def _topic(row) -> TopicRow:
    values, n = tuple(row), len(TOPIC_COLUMNS)
    return TopicRow(*values[:n], _author(values[n:n + len(AUTHOR_COLUMNS)]))


def _author(values: tuple) -> Author | None:
    return Author(*values) if values[0] is not None else None


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


def _cursor(kind: str, topic) -> str:
    column, _ = _order(kind)
    value = getattr(topic, column.key)
    if kind != "top":
        value = (value - EPOCH) // timedelta(microseconds=1)
    return f"{value}.{topic.id}"


def topics(circle_ids: list[int], kind: str = "latest", cursor: str | None = None, period: str = "all",
           limit: int = PAGE_SIZE, user=None, with_pinned: bool = False, feed: bool = False) -> Page:
    """One page of visible topics of the given circles, in the list's order, after ``cursor``,
    with ``user``'s read markers; ``with_pinned`` (one circle's latest list) also brings its
    pinned topics, in the same statement, and the ``feed`` each topic's ``Opening``. Keyset paging compares (sort value, id) as a row
    value, which an index on the pair answers directly however deep the page."""
    uid, after = _uid(user), _parse_cursor(kind, cursor)
    since = utcnow() - timedelta(days=PERIODS[period]) if kind == "top" and PERIODS.get(period) else None
    query = _topics_statement(kind, uid is not None, len(circle_ids) > 1, since is not None, after is not None,
                              with_pinned, feed, len(circle_ids) == 1)
    rows = _rows(query, {
        "circles": circle_ids, "circle": circle_ids[0] if circle_ids else None,
        "uid": uid, "since": since, "limit": limit + 1, "pinned_max": PINNED_MAX,
        "after_value": after[0] if after else None, "after_id": after[1] if after else None,
    })
    read = {r.id: r.marker for r in rows if r.marker is not None}
    pinned = [_topic(r) for r in rows if r.section == 0]
    listed = [r for r in rows if r.section == 1]
    found = [_topic(r) for r in listed[:limit]]
    shown = {t.id for t in found} | {t.id for t in pinned}
    openings = {r.id: Opening(r.opening_body, r.circle_role) for r in rows if feed and r.id in shown}
    return Page(found, _cursor(kind, found[-1]) if len(listed) > limit and found else None, read, pinned, openings)


@functools.cache
def _topics_statement(kind: str, member: bool, several: bool, since: bool, after: bool, with_pinned: bool,
                      feed: bool = False, one: bool = False):
    """The statement of one kind of topic list, built once per process with its values as
    parameters (building a statement costs more than running this one). Of ``one`` circle, it
    compares with one parameter: an expanding ``IN`` list makes SQLAlchemy rewrite the
    statement's text on every execution."""
    column, id_column = _order(kind)
    in_circles = Topic.circle_id == sa.bindparam("circle", type_=sa.Integer) if one else \
        Topic.circle_id.in_(sa.bindparam("circles", expanding=True))
    query = _topic_rows(member, 1, feed).where(in_circles, Topic.status == "visible")
    if kind == "latest" and not several:
        query = query.where(Topic.pinned == sa.false())
    elif kind == "unanswered":
        query = query.where(Topic.kind == "question", Topic.accepted_post_id.is_(None))
    elif kind == "featured":
        query = query.where(Topic.featured_at.is_not(None))
    if since:
        query = query.where(Topic.created_at >= sa.bindparam("since", type_=Topic.created_at.type))
    if after:
        query = query.where(sa.tuple_(column, id_column) < sa.tuple_(
            sa.bindparam("after_value", type_=column.type), sa.bindparam("after_id", type_=sa.Integer)))
    query = query.order_by(column.desc(), id_column.desc()).limit(sa.bindparam("limit", type_=sa.Integer))
    if not with_pinned:
        return query
    pins = (_topic_rows(member, 0, feed).where(in_circles, Topic.status == "visible",
                                         Topic.pinned == sa.true())
            .order_by(Topic.bumped_at.desc(), Topic.id.desc()).limit(sa.bindparam("pinned_max", type_=sa.Integer)))
    both = sa.union_all(sa.select(pins.subquery()), sa.select(query.subquery())).subquery()
    return sa.select(both).order_by(both.c.section, both.c[column.key].desc(), both.c.id.desc())


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
    member: Membership | None  # the member's row in the topic's circle
    last_read: int  # the member's read marker (0 for visitors and first visits)
    watching: bool
    page: Page = None
    liked: set[int] = None  # ids of the page's posts the member likes
    experts: set[int] = None  # authors on the page who answer as experts


class Quote(NamedTuple):
    """What a post shows of the post it quotes."""

    number: int
    status: str
    author: Author | None


class PostRow(NamedTuple):
    """A post as the topic page shows it, read as a plain row (nothing writes it)."""

    id: int
    number: int
    author_id: int | None
    body: str
    status: str
    quote_of_id: int | None
    like_count: int
    edited_at: datetime | None
    created_at: datetime
    author: Author | None
    quote: Quote | None


STAFF_ROLES = ("owner", "admin", "moderator", "creator")


def reading(topic_id: int, user) -> Reading | None:
    """The topic with the member's row in its circle, read marker and watch (one statement), or None."""
    uid = _uid(user)
    row = db.session.execute(_reading_statement(uid is not None), {"topic_id": topic_id, "uid": uid}).first()
    if row is None or row[0].status == "deleted":
        return None
    return Reading(row[0], row[1], row[2] or 0, bool(row[3]))


@functools.cache
def _reading_statement(member: bool):
    if not member:
        return sa.select(Topic, sa.null(), sa.null(), sa.null()).where(Topic.id == sa.bindparam("topic_id"))
    uid = sa.bindparam("uid")
    marker = sa.select(ReadMarker.last_number).where(ReadMarker.topic_id == Topic.id, ReadMarker.user_id == uid)
    watch = sa.exists().where(Watch.target == "topic", Watch.target_id == Topic.id, Watch.user_id == uid)
    return (sa.select(Topic, Membership, marker.scalar_subquery(), watch)
            .outerjoin(Membership, sa.and_(Membership.circle_id == Topic.circle_id, Membership.user_id == uid))
            .options(lazyload(Membership.user)).where(Topic.id == sa.bindparam("topic_id")))


def posts_for(found: Reading, user, after: int = 0, limit: int = PAGE_SIZE) -> Reading:
    """Fill in up to ``limit`` posts numbered above ``after`` with their authors, the posts
    they quote, whether the member likes each, and which authors are experts: one statement
    of joins, no subquery per post."""
    uid = _uid(user)
    rows = _rows(_posts_statement(uid is not None), {
        "topic_id": found.topic.id, "circle_id": found.topic.circle_id, "uid": uid, "after": after, "limit": limit + 1,
    })
    posts = [_post(row) for row in rows[:limit]]
    found.page = Page(posts, str(posts[-1].number) if len(rows) > limit else None)
    found.liked = {row[0] for row in rows if row.liked is not None}
    found.experts = {post.author_id for post, row in zip(posts, rows, strict=False)
                     if post.author is not None and (row.moderator is not None or post.author.role in STAFF_ROLES)}
    return found


POST_COLUMNS = 9  # PostRow's own fields, before its author and quote


@functools.cache
def _posts_statement(member: bool):
    author, quote, quote_author = sa.orm.aliased(User), sa.orm.aliased(Post), sa.orm.aliased(User)
    moderator = sa.orm.aliased(Membership)
    query = (
        sa.select(Post.id, Post.number, Post.author_id, Post.body, Post.status, Post.quote_of_id, Post.like_count,
                  Post.edited_at, Post.created_at,
                  author.id, author.display_name, author.avatar, author.role, quote.number, quote.status,
                  quote_author.id, quote_author.display_name, quote_author.avatar, quote_author.role,
                  (Like.id if member else sa.null()).label("liked"), moderator.id.label("moderator"))
        .outerjoin(author, author.id == Post.author_id)
        .outerjoin(quote, quote.id == Post.quote_of_id).outerjoin(quote_author, quote_author.id == quote.author_id)
        .outerjoin(moderator, sa.and_(moderator.circle_id == sa.bindparam("circle_id"),
                                      moderator.user_id == Post.author_id, moderator.role == "moderator"))
        .where(Post.topic_id == sa.bindparam("topic_id"), Post.number > sa.bindparam("after"))
        .order_by(Post.number).limit(sa.bindparam("limit", type_=sa.Integer))
    )
    if member:
        query = query.outerjoin(Like, sa.and_(Like.post_id == Post.id, Like.user_id == sa.bindparam("uid")))
    return query


def _post(row) -> PostRow:
    """A PostRow from a row of ``_posts_statement``: the post's columns, its author's, the
    quoted post's number and status, and the quoted post's author's."""
    values, n, a = tuple(row), POST_COLUMNS, len(AUTHOR_COLUMNS)
    quote = Quote(values[n + a], values[n + a + 1], _author(values[n + a + 2:n + 2 * a + 2])) \
        if values[n + a] is not None else None
    return PostRow(*values[:n], _author(values[n:n + a]), quote)


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
