"""A member's forum data for the privacy page: the export, and the erasure on account deletion."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import db
from plugins.forums.models import Ballot, Circle, Flag, Like, Membership, Post, ReadMarker, Topic, Watch


def export(user) -> dict | None:
    """The member's circles, posts, likes, flags, watches and votes, or None when there are none."""
    uid = user.id
    data = {
        "memberships": [
            {"circle_id": m.circle_id, "role": m.role, "banned": m.banned, "active": m.active, "joined_at": m.joined_at}
            for m in db.session.scalars(sa.select(Membership).where(Membership.user_id == uid))
        ],
        "posts": [
            {"topic_id": p.topic_id, "number": p.number, "body": p.body, "status": p.status, "created_at": p.created_at}
            for p in db.session.scalars(sa.select(Post).where(Post.author_id == uid).order_by(Post.id))
        ],
        "topics": [
            {"id": t.id, "title": t.title, "circle_id": t.circle_id}
            for t in db.session.scalars(sa.select(Topic).where(Topic.author_id == uid).order_by(Topic.id)).unique()
        ],
        "likes": db.session.scalars(sa.select(Like.post_id).where(Like.user_id == uid)).all(),
        "flags": [{"post_id": f.post_id, "reason": f.reason} for f in db.session.scalars(sa.select(Flag).where(Flag.user_id == uid))],
        "watches": [{"target": w.target, "id": w.target_id} for w in db.session.scalars(sa.select(Watch).where(Watch.user_id == uid))],
        "poll_votes": [{"topic_id": b.topic_id, "choices": b.choices} for b in db.session.scalars(sa.select(Ballot).where(Ballot.user_id == uid))],
    }
    return data if any(data.values()) else None


def erase(user) -> None:
    """Delete the member's private rows; their posts stay for the discussion, without their name."""
    uid = user.id
    for model in (Membership, Like, ReadMarker, Watch, Ballot):
        db.session.execute(sa.delete(model).where(model.user_id == uid))
    db.session.execute(sa.update(Flag).where(Flag.user_id == uid).values(user_id=None))
    db.session.execute(sa.update(Post).where(Post.author_id == uid).values(author_id=None))
    db.session.execute(sa.update(Topic).where(Topic.author_id == uid).values(author_id=None))
    db.session.execute(sa.update(Circle).where(Circle.creator_id == uid).values(creator_id=None))
