"""Moderators' actions: flags and the queue, hide/restore/approve, lock, pin, feature, move and
bans. Each action is written to the core audit log in the same transaction."""

from __future__ import annotations

import sqlalchemy as sa

from flask import url_for
from flask_babel import lazy_gettext as _l

from kpay.api import User, db, emit, insert_once, notify, record_audit, utcnow
from plugins.forums import posting
from plugins.forums.models import Circle, Flag, Membership, Post, Topic

POST_ACTIONS = ("hide", "restore", "approve")
TOPIC_ACTIONS = ("lock", "unlock", "pin", "unpin", "feature", "unfeature")


def flag(user, post: Post, reason: str) -> bool:
    """Flag the post once per member; returns False when they had flagged it already."""
    if insert_once(Flag, ("post_id", "user_id"), post_id=post.id, user_id=user.id, reason=reason, open=True,
                   created_at=utcnow()) is None:
        return False
    db.session.execute(sa.update(Post).where(Post.id == post.id).values(flag_count=Post.flag_count + 1))
    tell_moderators(post, reason)
    return True


def tell_moderators(post: Post, reason: str) -> None:
    """Notify the circle's creator and moderators (never the flagged post's author) that a
    post waits in their queue: once per post, however many members flag it."""
    circle = post.topic.circle
    moderator_ids = sa.select(Membership.user_id).where(
        Membership.circle_id == circle.id, Membership.role == "moderator", Membership.active.is_(True),
        Membership.banned.is_(False))
    moderators = db.session.scalars(sa.select(User).where(
        sa.or_(User.id.in_(moderator_ids), User.id == circle.creator_id), User.status == "active",
        User.id != post.author_id).order_by(User.id)).all()
    for moderator in moderators:
        notify(moderator, "forums.flags",
               _l("A post in %(circle)s was flagged (%(reason)s)", circle=circle.name, reason=reason),
               url_for("forums.queue", circle_id=circle.id), key=f"forums.flag:{post.id}")


def queue(circle_ids: list[int], limit: int = 100) -> list[Post]:
    """Posts of these circles waiting for a moderator (held, or flagged and still shown), oldest first."""
    flagged = sa.exists().where(Flag.post_id == Post.id, Flag.open.is_(True))
    query = sa.select(Post).where(Post.circle_id.in_(circle_ids),
                                  sa.or_(Post.status == "pending", sa.and_(Post.status == "visible", flagged)))
    return list(db.session.scalars(query.order_by(Post.id).limit(limit)).unique())


def open_flags(post_ids: list[int]) -> dict[int, list[Flag]]:
    """The open flags of these posts, by post id (one query)."""
    found: dict[int, list[Flag]] = {}
    if post_ids:
        for f in db.session.scalars(sa.select(Flag).where(Flag.post_id.in_(post_ids), Flag.open.is_(True)).order_by(Flag.id)):
            found.setdefault(f.post_id, []).append(f)
    return found


def act_on_post(actor, post: Post, action: str) -> bool:
    """Hide, restore or approve a post; closes its flags. Returns False when nothing changed."""
    before = post.status
    target = {"hide": "hidden", "restore": "visible", "approve": "visible"}[action]
    if action == "approve" and before != "pending" or action == "restore" and before != "hidden":
        target = before
    db.session.execute(sa.update(Flag).where(Flag.post_id == post.id, Flag.open.is_(True)).values(open=False))
    if target == before:
        return False
    posting.set_status(post, target)
    post.hold_reason = ""
    if action == "approve":
        member = db.session.scalar(sa.select(Membership).where(
            Membership.circle_id == post.circle_id, Membership.user_id == post.author_id))
        posting.published(post, post.topic, member)
    record_audit(f"forums.post_{action}", actor=actor, target=post, before={"status": before}, after={"status": target})
    return True


def act_on_topic(actor, topic: Topic, action: str) -> bool:
    """Lock, unlock, pin, unpin, feature or unfeature a topic; False when nothing changed."""
    field, value = {
        "lock": ("locked", True), "unlock": ("locked", False), "pin": ("pinned", True), "unpin": ("pinned", False),
        "feature": ("featured", True), "unfeature": ("featured", False),
    }[action]
    if field == "featured":
        before = topic.featured_at is not None
        if before == value:
            return False
        topic.featured_at = utcnow() if value else None
        if value:
            emit("topic.featured", user=actor, subject=topic, author_id=topic.author_id)
    else:
        before = getattr(topic, field)
        if before == value:
            return False
        setattr(topic, field, value)
    record_audit(f"forums.topic_{action}", actor=actor, target=topic, before={field: before}, after={field: value})
    return True


def move(actor, topic: Topic, to: Circle) -> bool:
    """Move a topic and its posts to another circle; False when it is there already."""
    source = topic.circle_id
    if source == to.id:
        return False
    db.session.execute(sa.update(Post).where(Post.topic_id == topic.id).values(circle_id=to.id))
    if topic.status == "visible":
        db.session.execute(sa.update(Circle).where(Circle.id == source).values(topic_count=Circle.topic_count - 1))
        db.session.execute(sa.update(Circle).where(Circle.id == to.id).values(topic_count=Circle.topic_count + 1))
    topic.circle_id = to.id
    topic.updated_at = utcnow()
    record_audit("forums.topic_move", actor=actor, target=topic, before={"circle_id": source}, after={"circle_id": to.id})
    return True


def set_ban(actor, circle: Circle, user_id: int, banned: bool) -> bool:
    """Ban a member from posting in the circle (or lift it); False when nothing changed."""
    member = db.session.scalar(sa.select(Membership).where(Membership.circle_id == circle.id, Membership.user_id == user_id))
    if member is None:
        if not banned:
            return False
        member = Membership(circle_id=circle.id, user_id=user_id, active=False, banned=True)
        db.session.add(member)
    elif member.banned == banned:
        return False
    else:
        member.banned = banned
    db.session.flush()
    record_audit("forums.member_ban" if banned else "forums.member_unban", actor=actor, target=member,
                 before={"banned": not banned}, after={"banned": banned})
    return True


def set_role(actor, member: Membership, role: str) -> bool:
    """Make a member a circle moderator or a plain member again; False when unchanged."""
    if member.role == role:
        return False
    before, member.role = member.role, role
    record_audit("forums.member_role", actor=actor, target=member, before={"role": before}, after={"role": role})
    return True
