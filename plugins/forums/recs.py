"""The circles and topics as the recommendations plugin sees them (``kpay_recs_items``/
``kpay_recs_signals``, declared by that plugin): names and titles only, each topic shown to
whom its circle is (a paid circle's topics through ``can_access``), and memberships, topics
started, replies and likes as signals."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask import current_app

from kpay.api import Product, db
from plugins.forums.access import resource
from plugins.forums.models import Circle, Like, Membership, Post, Topic

AUDIENCE = {"public": "public", "members": "members", "paid": "resource"}


def _prefix(endpoint: str, **values) -> str:
    """The path of ``endpoint`` for id 0 without the 0, also outside a request."""
    return current_app.url_map.bind("localhost").build(endpoint, values)[:-1]


def items(item) -> Iterator:
    """Every circle (its public card: name and price) and every visible topic (its title)."""
    circle_url, topic_url = _prefix("forums.circle", circle_id=0), _prefix("forums.topic", topic_id=0)
    circles = {}
    for circle, price, currency in db.session.execute(
            sa.select(Circle, Product.price_minor, Product.currency)
            .outerjoin(Product, Product.id == Circle.product_id).order_by(Circle.id)):
        circles[circle.id] = circle
        yield item(kind="circle", id=circle.id, title=circle.name, url=f"{circle_url}{circle.id}",
                   resource=resource(circle), price_minor=price, currency=currency or "", creator_id=circle.creator_id,
                   features=(f"circle:{circle.id}",), created_at=circle.created_at)
    topics = db.session.execute(sa.select(Topic.id, Topic.circle_id, Topic.title, Topic.tags, Topic.created_at)
                                .where(Topic.status == "visible").order_by(Topic.id))
    for topic_id, circle_id, title, tags, created_at in topics:
        circle = circles[circle_id]
        yield item(kind="topic", id=topic_id, title=title, url=f"{topic_url}{topic_id}", resource=resource(circle),
                   audience=AUDIENCE.get(circle.visibility, "resource"),
                   tags=tuple(t for t in tags.split(",") if t.strip()), features=(f"circle:{circle_id}",),
                   created_at=created_at)


def signals(signal) -> Iterator:
    """Memberships (2), topics started (3), replies (2, once per topic) and likes (1, once per topic)."""
    for uid, circle_id, at in db.session.execute(
            sa.select(Membership.user_id, Membership.circle_id, Membership.joined_at)
            .where(Membership.active.is_(True), Membership.banned.is_(False))):
        yield signal(user_id=uid, key=f"circle:{circle_id}", action="joined", at=at, weight=2.0)
    posts = (sa.select(Post.author_id, Post.topic_id, sa.func.min(Post.number), sa.func.max(Post.created_at))
             .where(Post.status == "visible", Post.author_id.is_not(None)).group_by(Post.author_id, Post.topic_id))
    for uid, topic_id, first, at in db.session.execute(posts):
        started = first == 1
        yield signal(user_id=uid, key=f"topic:{topic_id}", action="posted" if started else "replied", at=at,
                     weight=3.0 if started else 2.0)
    likes = (sa.select(Like.user_id, Post.topic_id, sa.func.max(Like.created_at)).join(Post, Post.id == Like.post_id)
             .group_by(Like.user_id, Post.topic_id))
    for uid, topic_id, at in db.session.execute(likes):
        yield signal(user_id=uid, key=f"topic:{topic_id}", action="liked", at=at, weight=1.0)
