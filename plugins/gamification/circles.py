"""What gamification reads of the circles (forums plugin) by table name, never by import:
which circle a post is in, a topic's kind, who moderates a circle. The forums' migrations run
whether or not forums is enabled, so the tables are there while the forums folder is."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from kpay.api import db

_circles = sa.table("forums_circles", sa.column("id"), sa.column("name"), sa.column("creator_id"),
                    sa.column("visibility"))
_memberships = sa.table("forums_memberships", sa.column("circle_id"), sa.column("user_id"), sa.column("role"),
                        sa.column("active"), sa.column("banned"))
_topics = sa.table("forums_topics", sa.column("id"), sa.column("circle_id"), sa.column("kind"))
_posts = sa.table("forums_posts", sa.column("id"), sa.column("topic_id"), sa.column("circle_id"),
                  sa.column("number"))


@dataclass(frozen=True)
class TopicInfo:
    id: int
    circle_id: int
    kind: str


def _first(statement):
    return db.session.execute(statement).first()


def topic(topic_id: int) -> TopicInfo | None:
    """The topic's circle and kind, or None."""
    row = _first(sa.select(_topics.c.id, _topics.c.circle_id, _topics.c.kind).where(_topics.c.id == topic_id))
    return TopicInfo(*row) if row else None


def opening_post(topic_id: int) -> int | None:
    """The id of the topic's first post."""
    row = _first(sa.select(_posts.c.id).where(_posts.c.topic_id == topic_id, _posts.c.number == 1))
    return row[0] if row else None


def post_circle(post_id: int) -> int | None:
    """The circle a post is in."""
    row = _first(sa.select(_posts.c.circle_id).where(_posts.c.id == post_id))
    return row[0] if row else None


def circle_name(circle_id: int) -> str | None:
    """The circle's name, or None when there is no such circle."""
    row = _first(sa.select(_circles.c.name).where(_circles.c.id == circle_id))
    return row[0] if row else None


def is_member(user, circle_id: int) -> bool:
    """True when the member belongs to the circle (active, not banned) or created it."""
    return bool(db.session.scalar(sa.select(member_column(user, circle_id))))


def moderates(user, circle_id: int) -> bool:
    """True when the member created the circle or moderates it (or moderates every circle)."""
    return bool(db.session.scalar(sa.select(moderator_column(user, circle_id))))


def moderator_column(user, circle_id):
    """Whether the member may run the circle's challenges, as a column of another query."""
    from kpay.api import can

    if not getattr(user, "is_authenticated", False):
        return sa.false()
    if can("forums.moderate", user):
        return sa.true()
    return sa.or_(
        sa.exists().where(_memberships.c.circle_id == circle_id, _memberships.c.user_id == user.id,
                          _memberships.c.role == "moderator", _memberships.c.active.is_(True)),
        sa.exists().where(_circles.c.id == circle_id, _circles.c.creator_id == user.id))


def member_ids(circle_id: int) -> list[int]:
    """The ids of the circle's active members."""
    return list(db.session.scalars(sa.select(_memberships.c.user_id).where(
        _memberships.c.circle_id == circle_id, _memberships.c.active.is_(True), _memberships.c.banned.is_(False))))


def moderated_circle_ids(user) -> list[int]:
    """The circles the member creates or moderates."""
    return list(db.session.scalars(sa.union(
        sa.select(_memberships.c.circle_id).where(_memberships.c.user_id == user.id, _memberships.c.role == "moderator",
                                                  _memberships.c.active.is_(True)),
        sa.select(_circles.c.id).where(_circles.c.creator_id == user.id))))


def member_column(user, circle_id):
    """Whether the member belongs to (or created) the circle, as a column of another query."""
    if not getattr(user, "is_authenticated", False):
        return sa.false()
    return sa.or_(
        sa.exists().where(_memberships.c.circle_id == circle_id, _memberships.c.user_id == user.id,
                          _memberships.c.active.is_(True), _memberships.c.banned.is_(False)),
        sa.exists().where(_circles.c.id == circle_id, _circles.c.creator_id == user.id))


def facts_columns(circle_id):
    """The circle's name, visibility and creator as columns of another query."""
    return tuple(sa.select(column).where(_circles.c.id == circle_id).scalar_subquery()
                 for column in (_circles.c.name, _circles.c.visibility, _circles.c.creator_id))


def can_read(user, circle_id: int, visibility: str | None, creator_id: int | None) -> bool:
    """True when ``user`` may read the circle (the forums' rule: public to all, members-only to
    members of the site, paid through ``can_access``)."""
    from kpay.api import Resource, can_access

    if visibility == "public":
        return True
    if visibility is None or not getattr(user, "is_authenticated", False):
        return False
    return visibility == "members" or can_access(user, Resource("circle", circle_id, creator_id=creator_id))
