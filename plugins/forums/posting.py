"""Writing in a circle: topics, replies, quotes, edits, soft deletes, likes, accepted answers,
mentions and the notifications to watchers. Callers check access and commit."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from kpay.api import User, add_to, db, emit, enqueue, insert_once, notify, utcnow
from plugins.forums import access
from plugins.forums.models import Circle, Like, Membership, Poll, PollOption, Post, Topic, Watch

MENTION = re.compile(r"(?<![\w@])@([\w][\w.-]{0,39})", re.UNICODE)
MAX_MENTIONS = 10
TWIN_SECONDS = 120


def settings() -> dict:
    """The plugin's settings (``[plugins.forums]`` in kpay.toml)."""
    return current_app.config["KPAY"]["plugins"]["forums"]


def hold_reason(circle: Circle, member: Membership | None, moderator: bool, *texts: str) -> str:
    """Why a new post waits in the moderation queue (``blocked_words``, ``first_post``), or ''."""
    if moderator:
        return ""
    words = [w.strip().lower() for w in settings()["blocked_words"] if w.strip()]
    written = " ".join(texts).lower()
    if any(word in written for word in words):
        return "blocked_words"
    if circle.approve_first_posts and (member is None or member.approved_posts == 0):
        return "first_post"
    return ""


def start_topic(user: User, circle: Circle, member: Membership | None, moderator: bool, *, title: str,
                body: str, kind: str, tags: list[str], poll: dict | None = None) -> Topic:
    """Create a topic with its opening post (held for review when ``hold_reason`` says so)."""
    db.session.execute(sa.select(Circle.id).where(Circle.id == circle.id).with_for_update())  # one at a time
    twin = _twin(Topic, Topic.circle_id == circle.id, Topic.author_id == user.id, Topic.title == title)
    if twin is not None:
        return twin
    reason = hold_reason(circle, member, moderator, title, body)
    status = "pending" if reason else "visible"
    now = utcnow()
    topic = Topic(
        circle_id=circle.id, author_id=user.id, title=title, kind=kind, tags=",".join(tags),
        status=status, pinned=kind == "announcement", post_count=1, bumped_at=now, created_at=now,
    )
    db.session.add(topic)
    db.session.flush()
    post = Post(topic_id=topic.id, circle_id=circle.id, number=1, author_id=user.id, body=body,
                status=status, hold_reason=reason, created_at=now)
    db.session.add(post)
    if poll is not None:
        db.session.add(Poll(topic_id=topic.id, multiple=poll["multiple"], results_after=poll["results_after"],
                            closes_at=poll["closes_at"]))
        db.session.flush()
        db.session.add_all(PollOption(topic_id=topic.id, position=i, label=label) for i, label in enumerate(poll["options"]))
    db.session.flush()
    watch(user.id, "topic", topic.id)
    if status == "visible":
        published(post, topic, member)
    return topic


def reply(user: User, topic: Topic, member: Membership | None, moderator: bool, body: str,
          quote: Post | None = None) -> Post:
    """Add a reply at the end of the topic (numbers are taken under the topic's row lock)."""
    db.session.execute(sa.select(Topic.id).where(Topic.id == topic.id).with_for_update())  # one at a time
    twin = _twin(Post, Post.topic_id == topic.id, Post.author_id == user.id, Post.body == body)
    if twin is not None:
        return twin
    reason = hold_reason(topic.circle, member, moderator, body)
    db.session.execute(sa.update(Topic).where(Topic.id == topic.id).values(post_count=Topic.post_count + 1))
    number = db.session.scalar(sa.select(Topic.post_count).where(Topic.id == topic.id))
    post = Post(topic_id=topic.id, circle_id=topic.circle_id, number=number, author_id=user.id, body=body,
                status="pending" if reason else "visible", hold_reason=reason,
                quote_of_id=quote.id if quote is not None else None)
    db.session.add(post)
    db.session.flush()
    watch(user.id, "topic", topic.id)
    if not reason:
        published(post, topic, member)
    return post


def _twin(model, *same):
    """The member's identical topic or post of the last ``TWIN_SECONDS``: a double submit
    (or a retried request) gets it back instead of posting twice."""
    since = utcnow() - timedelta(seconds=TWIN_SECONDS)
    return db.session.scalars(sa.select(model).where(*same, model.created_at >= since).order_by(model.id.desc()).limit(1)).first()


def published(post: Post, topic: Topic, member: Membership | None) -> None:
    """What follows a post becoming visible: counters, the event, mentions and watchers."""
    if member is not None:
        add_to(member, approved_posts=1)
    if post.number == 1:
        topic.status = "visible"
        db.session.execute(sa.update(Circle).where(Circle.id == topic.circle_id).values(topic_count=Circle.topic_count + 1))
    else:
        add_to(topic, reply_count=1)
        topic.bumped_at = post.created_at or utcnow()
    announce(post, topic)
    notify_mentions(post, topic)
    enqueue(notify_watchers, post.id, key=f"forums.watchers:{post.id}")


def announce(post: Post, topic: Topic) -> None:
    """Emit the event of a visible post: ``topic.created`` for an opening post, else ``reply.created``."""
    if post.number == 1:
        emit("topic.created", user=post.author, subject=topic, circle_id=topic.circle_id, **_named(topic))
    else:
        emit("reply.created", user=post.author, subject=post, topic_id=topic.id, circle_id=topic.circle_id,
             **_named(topic))


def _named(topic: Topic) -> dict:
    """What an event about ``topic`` says of it for readers of the activity log (analytics):
    the topic's title, its circle's name and the circle's creator."""
    return {"title": topic.title, "circle_name": topic.circle.name, "circle_owner_id": topic.circle.creator_id}


def set_status(post: Post, status: str) -> None:
    """Change a post's status, keeping the topic's and circle's counters right."""
    topic = post.topic
    was_visible, now_visible = post.status == "visible", status == "visible"
    post.status = status
    if post.number == 1:
        topic.status = "visible" if now_visible else ("deleted" if status == "deleted" else "hidden")
        topic.updated_at = utcnow()
        if was_visible != now_visible:
            delta = 1 if now_visible else -1
            db.session.execute(sa.update(Circle).where(Circle.id == topic.circle_id).values(topic_count=Circle.topic_count + delta))
    elif was_visible != now_visible:
        add_to(topic, reply_count=1 if now_visible else -1)
        if topic.accepted_post_id == post.id and not now_visible:
            topic.accepted_post_id = None
    if was_visible and not now_visible:
        emit("post.removed", user=post.author, subject=post, topic_id=topic.id, number=post.number, status=status)


def edit(post: Post, body: str, title: str | None = None) -> None:
    """Change a post's text (and its topic's title, for an opening post); marks it edited."""
    if body != post.body or (title is not None and title != post.topic.title):
        post.body = body
        post.edited_at = utcnow()
        if title is not None and post.number == 1 and title != post.topic.title:
            post.topic.title = title
            post.topic.updated_at = utcnow()
        emit("post.edited", user=post.author, subject=post, topic_id=post.topic_id, number=post.number)


def set_like(user: User, post: Post, like: bool) -> None:
    """Like the post, or take the like back; asking twice for the same changes nothing (the
    unique (post, member) row, or a delete that finds nothing)."""
    if like:
        changed = insert_once(Like, ("post_id", "user_id"), post_id=post.id, user_id=user.id, created_at=utcnow()) is not None
    else:
        changed = db.session.execute(sa.delete(Like).where(Like.post_id == post.id, Like.user_id == user.id)).rowcount > 0
    if changed:
        delta = 1 if like else -1
        db.session.execute(sa.update(Post).where(Post.id == post.id).values(like_count=Post.like_count + delta))
        db.session.execute(sa.update(Topic).where(Topic.id == post.topic_id).values(like_count=Topic.like_count + delta))
        emit("post.liked" if like else "post.unliked", user=user, subject=post, author_id=post.author_id,
             topic_id=post.topic_id, circle_id=post.topic.circle_id)
        db.session.refresh(post, ["like_count"])


def accept(topic: Topic, post: Post, actor: User) -> None:
    """Mark ``post`` the accepted answer of the question ``topic`` (replacing another)."""
    if topic.accepted_post_id != post.id:
        if topic.accepted_post_id is not None:
            emit("answer.unaccepted", user=actor, subject=db.session.get(Post, topic.accepted_post_id), topic_id=topic.id)
        topic.accepted_post_id = post.id
        emit("answer.accepted", user=actor, subject=post, topic_id=topic.id, author_id=post.author_id,
             circle_id=topic.circle_id)
        if post.author is not None and post.author_id != actor.id:
            notify(post.author, "forums.activity", _l("Your answer was accepted: %(title)s", title=topic.title),
                 url_for("forums.topic", topic_id=topic.id, _anchor=f"post-{post.number}"), key=f"forums.accepted:{post.id}")


def watch(user_id: int, target: str, target_id: int) -> None:
    """Start watching a topic or circle (nothing changes when already watching)."""
    insert_once(Watch, ("user_id", "target", "target_id"), user_id=user_id, target=target, target_id=target_id)


def unwatch(user_id: int, target: str, target_id: int) -> None:
    """Stop watching a topic or circle."""
    db.session.execute(sa.delete(Watch).where(Watch.user_id == user_id, Watch.target == target, Watch.target_id == target_id))


def watching(user, target: str, target_id: int) -> bool:
    """True when the member watches that topic or circle."""
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(sa.select(sa.exists().where(
        Watch.user_id == user.id, Watch.target == target, Watch.target_id == target_id))) or False


def mentioned_users(text: str) -> list[User]:
    """Members named exactly by ``@name`` in ``text``: their display name without spaces, in
    any case (``@NinaLi`` is "Nina Li"). A name two active members share names nobody."""
    names = list(dict.fromkeys(m.lower() for m in MENTION.findall(text)))[:MAX_MENTIONS]
    if not names:
        return []
    handle = sa.func.lower(sa.func.replace(User.display_name, " ", ""))
    found = db.session.execute(
        sa.select(User, handle).where(handle.in_(names), User.status == "active").limit(MAX_MENTIONS * 2)
    ).all()
    by_handle: dict[str, list[User]] = {}
    for user, name in found:
        by_handle.setdefault(name, []).append(user)
    return [users[0] for users in by_handle.values() if len(users) == 1][:MAX_MENTIONS]


def notify_mentions(post: Post, topic: Topic) -> None:
    """Notify each member mentioned in the post who may read the circle (never the author)."""
    author = post.author.display_name if post.author else ""
    for user in mentioned_users(post.body):
        if user.id != post.author_id and access.can_see(user, topic.circle):
            notify(user, "forums.mention", _l("%(name)s mentioned you in %(title)s", name=author, title=topic.title),
                 url_for("forums.topic", topic_id=topic.id, after=post.number - 1, _anchor=f"post-{post.number}"),
                 key=f"forums.mention:{post.id}")


def notify_watchers(post_id: int) -> None:
    """Job: tell the topic's and circle's watchers of a new post, each once and never its author."""
    post = db.session.get(Post, post_id)
    if post is None or post.status != "visible":
        return
    topic = post.topic
    watching_ids = sa.select(Watch.user_id).where(
        sa.or_(sa.and_(Watch.target == "topic", Watch.target_id == topic.id),
               sa.and_(Watch.target == "circle", Watch.target_id == topic.circle_id)))
    watchers = db.session.scalars(
        sa.select(User).where(User.id.in_(watching_ids), User.id != post.author_id, User.status == "active").order_by(User.id)
    ).all()
    author = post.author.display_name if post.author else ""
    for user in watchers:
        if access.can_see(user, topic.circle):
            message = (_l("%(name)s replied in %(title)s", name=author, title=topic.title) if post.number > 1
                       else _l("%(name)s started %(title)s", name=author, title=topic.title))
            notify(user, "forums.reply", message,
                 url_for("forums.topic", topic_id=topic.id, after=post.number - 1, _anchor=f"post-{post.number}"),
                 key=f"forums.post:{post.id}")
