"""Who may see, join, post in and moderate a circle: the forums' one policy (deny by default).

Seeing a members-only circle needs a log-in; a paid circle is decided by
``kpay.commerce.can_access`` on the circle's resource, which the plugin's
``kpay_resource_products`` answers with the circle's product.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import abort, current_app
from flask_login import current_user
from sqlalchemy.orm import lazyload

from kpay.api import Resource, can, can_access, db
from plugins.forums.models import Circle, Membership, Post, Topic, Watch

UNKNOWN = object()  # a membership not looked up yet (None: looked up, and there is none)


def resource(circle: Circle) -> Resource:
    """The circle as a commerce resource (``circle:<id>``); only a paid circle is not free."""
    return Resource("circle", circle.id, creator_id=circle.creator_id, free=circle.visibility != "paid")


def resources(keys: list[str]) -> dict[str, tuple[Resource, list[int]]]:
    """``kpay_resources``: the circles among ``keys``, with their products (one statement)."""
    ids = [int(key[7:]) for key in keys if key.startswith("circle:") and key[7:].isdigit()]
    if not ids:
        return {}
    circles = db.session.scalars(sa.select(Circle).where(Circle.id.in_(ids)).options(lazyload("*")))
    return {f"circle:{c.id}": (resource(c), [c.product_id] if c.product_id else []) for c in circles}


def visibility_key(circle: Circle) -> str:
    """How a search index names who may see the circle: public, members or ``circle:<id>``."""
    return resource(circle).key if circle.visibility == "paid" else circle.visibility


def can_see(user, circle: Circle) -> bool:
    """True when ``user`` may read the circle's topics and posts."""
    if circle.visibility == "public":
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return circle.visibility == "members" or can_access(user, resource(circle))


def membership(user, circle: Circle) -> Membership | None:
    """The member's row in the circle (also a left or banned one), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(Membership).where(Membership.circle_id == circle.id, Membership.user_id == user.id)
    )


def circle_for(user, circle_id: int, watched: bool = False) -> tuple[Circle, Membership | None, bool]:
    """The circle (else a 404) with ``user``'s row in it and, when ``watched``, whether they
    watch it: one statement."""
    uid = user.id if getattr(user, "is_authenticated", False) else None
    row = db.session.execute(_circle_statement(uid is not None, watched), {"circle_id": circle_id, "uid": uid}).first()
    if row is None:
        abort(404)
    return row[0], row[1], bool(row[2])


@functools.cache
def _circle_statement(member: bool, watched: bool):
    if not member:
        return sa.select(Circle, sa.null(), sa.null()).where(Circle.id == sa.bindparam("circle_id"))
    uid = sa.bindparam("uid")
    watch = (sa.exists().where(Watch.user_id == uid, Watch.target == "circle", Watch.target_id == Circle.id)
             if watched else sa.null())
    return (sa.select(Circle, Membership, watch).where(Circle.id == sa.bindparam("circle_id"))
            .outerjoin(Membership, sa.and_(Membership.circle_id == Circle.id, Membership.user_id == uid))
            .options(lazyload(Membership.user)))


def site_moderator(user) -> bool:
    """True for staff who moderate every circle (permission ``forums.moderate``)."""
    return getattr(user, "is_authenticated", False) and can("forums.moderate", user)


def can_moderate(user, circle: Circle, member: Membership | None = UNKNOWN) -> bool:
    """True for the circle's creator, its moderators and site-wide forum moderators, each
    only while they may read it (a paid circle's text is shown only through ``can_access``)."""
    if not getattr(user, "is_authenticated", False) or not can_see(user, circle):
        return False
    if site_moderator(user) or circle.creator_id == user.id:
        return True
    member = membership(user, circle) if member is UNKNOWN else member
    return member is not None and member.active and member.role == "moderator" and not member.banned


def moderated_circles(user) -> list[Circle]:
    """The circles ``user`` moderates (every readable one for site moderators), by name."""
    query = sa.select(Circle).order_by(Circle.name, Circle.id)
    if not site_moderator(user):
        query = query.where(sa.or_(Circle.creator_id == user.id, Circle.id.in_(
            sa.select(Membership.circle_id).where(Membership.user_id == user.id, Membership.role == "moderator",
                                                  Membership.active.is_(True), Membership.banned.is_(False)))))
    return [c for c in db.session.scalars(query) if can_see(user, c)]


def can_post(user, circle: Circle, member: Membership | None = UNKNOWN) -> bool:
    """True when ``user`` may start topics and reply: a joined, unbanned member who can see it."""
    if not getattr(user, "is_authenticated", False) or not can_see(user, circle):
        return False
    member = membership(user, circle) if member is UNKNOWN else member
    if member is not None and member.banned:
        return False
    return (member is not None and member.active) or can_moderate(user, circle, member)


def can_read_post(user, post: Post, moderator: bool) -> bool:
    """True when the post's text may be shown: visible, or the author's own held post, or to moderators."""
    if post.status == "visible":
        return True
    if post.status == "deleted":
        return False
    return moderator or (getattr(user, "is_authenticated", False) and post.author_id == user.id)


def circle_or_404(circle_id: int) -> Circle:
    """The circle, or a 404."""
    circle = db.session.get(Circle, circle_id)
    if circle is None:
        abort(404)
    return circle


def topic_or_404(topic_id: int) -> Topic:
    """The topic (with its circle), or a 404. Its circle's access is checked by the caller."""
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.status == "deleted":
        abort(404)
    return topic


def post_or_404(post_id: int) -> Post:
    """The post, or a 404."""
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    return post


def require_login() -> None:
    """Send an anonymous visitor to log in."""
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())


def require_moderator(circle: Circle) -> None:
    """Abort (log in, or 403) unless the current user moderates ``circle``."""
    require_login()
    if not can_moderate(current_user, circle):
        abort(403)


def topic_visible_to(user, topic: Topic, moderator: bool) -> bool:
    """True when the topic shows up for ``user``: visible, or held and theirs or moderated by them."""
    if topic.status == "visible":
        return True
    if topic.status == "deleted":
        return False
    return moderator or (getattr(user, "is_authenticated", False) and topic.author_id == user.id)
