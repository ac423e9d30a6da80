"""Moderation: flags and the queue, hide and restore, pin, feature, move, bans that hold on every
route, first-post approval, blocked words, and the audit log of every moderator action."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import ActivityEvent, Notification
from kpay.models.audit import AuditEntry
from plugins.forums.models import Flag, Membership, Post, Topic
from plugins.forums.tests.conftest import count, forums_config, scalar


def _setup(make_user, make_circle, forum, **fields):
    chen = make_user(role="creator", name="Chen")
    circle = make_circle(chen, **fields)
    mei, leo = make_user(name="Mei"), make_user(name="Leo")
    forum(mei).join(circle)
    forum(leo).join(circle)
    return circle, chen, mei, leo


def actions(app) -> list[str]:
    """The forum actions in the audit log, oldest first."""
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("forums.%")).order_by(AuditEntry.id)))


def test_flagged_post_is_hidden_from_the_queue_and_restored(app, forum, make_user, make_circle):
    circle, chen, mei, leo = _setup(make_user, make_circle, forum)
    topic = forum(mei).start_topic(circle)
    forum(mei).reply(topic, body="Buy cheap watches")
    post = scalar(app, sa.select(Post.id).where(Post.number == 2))
    leo_forum = forum(leo)
    assert "Flag a post" in leo_forum.page(f"/forums/p/{post}/flag")
    leo_forum.post(f"/forums/p/{post}/flag", reason="spam", details="ads")
    leo_forum.post(f"/forums/p/{post}/flag", reason="spam")
    assert count(app, Flag) == 1
    [told] = _flag_notifications(app)
    assert (told.user_id, told.url) == (chen.id, f"/forums/c/{circle}/queue"), "the moderator, not the author"
    assert leo_forum.get(f"/forums/c/{circle}/queue").status_code == 403
    chen_forum = forum(chen)
    queue = chen_forum.page(f"/forums/c/{circle}/queue")
    assert "Buy cheap watches" in queue and "Flagged: spam: ads" in queue
    hidden = chen_forum.post(f"/forums/p/{post}/moderate", action="hide", next=f"/forums/c/{circle}/queue")
    assert "The post is hidden." in chen_forum.page(hidden.headers["Location"])
    assert "Buy cheap watches" not in leo_forum.page(f"/forums/t/{topic}")
    assert "Buy cheap watches" in chen_forum.page(f"/forums/t/{topic}")  # moderators still see it
    assert "Nothing waits" in chen_forum.page(f"/forums/c/{circle}/queue")
    chen_forum.post(f"/forums/p/{post}/moderate", action="restore")
    assert "Buy cheap watches" in leo_forum.page(f"/forums/t/{topic}")
    assert actions(app) == ["forums.post_hide", "forums.post_restore"]


def test_moderator_pins_features_locks_and_moves_with_an_audit_trail(app, forum, make_user, make_circle):
    circle, chen, mei, leo = _setup(make_user, make_circle, forum)
    other = make_circle(chen, name="Elsewhere")
    topic = forum(mei).start_topic(circle, title="Worth keeping")
    chen_forum = forum(chen)
    assert forum(leo).post(f"/forums/t/{topic}/moderate", action="pin").status_code == 403
    for action in ("pin", "feature", "lock", "unlock"):
        chen_forum.post(f"/forums/t/{topic}/moderate", action=action)
    assert "Worth keeping" in forum(leo).page(f"/forums/c/{circle}?list=featured")
    assert f'<option value="{other}">Elsewhere</option>' in chen_forum.page(f"/forums/t/{topic}")
    chen_forum.post(f"/forums/t/{topic}/moderate", action="move", circle_id=str(other))
    assert scalar(app, sa.select(Topic.circle_id).where(Topic.id == topic)) == other
    assert scalar(app, sa.select(Post.circle_id).where(Post.topic_id == topic)) == other
    assert actions(app) == ["forums.topic_pin", "forums.topic_feature", "forums.topic_lock", "forums.topic_unlock", "forums.topic_move"]
    assert count(app, ActivityEvent, ActivityEvent.name == "topic.featured") == 1


def test_banned_member_cannot_post_in_the_circle_by_any_route(app, forum, make_user, make_circle):
    circle, chen, mei, leo = _setup(make_user, make_circle, forum)
    topic = forum(mei).start_topic(circle, kind="question")
    poll = forum(chen).start_topic(circle, title="Vote", kind="poll", poll_options="A\nB")
    post = scalar(app, sa.select(Post.id).where(Post.topic_id == topic))
    chen_forum = forum(chen)
    chen_forum.post(f"/forums/c/{circle}/members/{mei.id}", action="ban")
    mei_forum = forum(mei)
    assert mei_forum.get(f"/forums/c/{circle}/new").status_code == 403
    assert mei_forum.post(f"/forums/c/{circle}/new", title="Again", body="x", kind="discussion").status_code == 403
    assert mei_forum.reply(topic, body="I'm back").status_code == 403
    assert mei_forum.post(f"/forums/p/{post}/edit", body="changed").status_code == 403
    assert mei_forum.post(f"/forums/t/{poll}/vote", option="1").status_code == 403
    mei_forum.post(f"/forums/c/{circle}/leave")
    mei_forum.join(circle)  # leaving and joining again does not lift the ban
    assert mei_forum.reply(topic, body="Sneaky").status_code == 403
    assert count(app, Post, Post.author_id == mei.id) == 1
    assert "You are banned" in mei_forum.page(f"/forums/c/{circle}")
    assert scalar(app, sa.select(Membership.banned).where(Membership.user_id == mei.id)) is True
    assert "forums.member_ban" in actions(app)


def test_first_posts_wait_for_approval(app, forum, make_user, make_circle):
    circle, chen, mei, leo = _setup(make_user, make_circle, forum, approve_first_posts=True)
    mei_forum = forum(mei)
    topic = mei_forum.start_topic(circle, title="My first")
    assert "My first" not in forum(leo).page(f"/forums/c/{circle}")
    assert forum(leo).get(f"/forums/t/{topic}").status_code == 404
    assert "Awaiting review" in mei_forum.page(f"/forums/t/{topic}")
    chen_forum = forum(chen)
    assert "My first" in chen_forum.page(f"/forums/c/{circle}/queue")
    post = scalar(app, sa.select(Post.id).where(Post.topic_id == topic))
    chen_forum.post(f"/forums/p/{post}/moderate", action="approve")
    assert "My first" in forum(leo).page(f"/forums/c/{circle}")
    mei_forum.reply(topic, body="Second post goes straight out")
    assert "Second post goes straight out" in forum(leo).page(f"/forums/t/{topic}")
    assert count(app, ActivityEvent, ActivityEvent.name == "topic.created") == 1
    assert "forums.post_approve" in actions(app)


def test_blocked_words_send_a_post_to_the_queue(make_app, make_user, make_circle):
    from plugins.forums.tests.conftest import Forum

    app = make_app(forums_config(blocked_words=["casino"]))
    chen, mei = make_user(role="creator"), make_user(name="Mei")
    circle = make_circle(chen)
    mei_forum = Forum(app).login(mei)
    mei_forum.join(circle)
    topic = mei_forum.start_topic(circle, title="Hello")
    mei_forum.reply(topic, body="Visit my CASINO")
    held = scalar(app, sa.select(Post).where(Post.number == 2))
    assert held.status == "pending" and held.hold_reason == "blocked_words"
    assert "Visit my CASINO" not in Forum(app).page(f"/forums/t/{topic}")
    assert "Blocked words" in Forum(app).login(chen).page(f"/forums/c/{circle}/queue")


def test_moderator_edit_of_a_members_post_is_audited(app, forum, make_user, make_circle):
    circle, chen, mei, leo = _setup(make_user, make_circle, forum)
    topic = forum(mei).start_topic(circle, body="rude words")
    post = scalar(app, sa.select(Post.id).where(Post.topic_id == topic))
    forum(chen).post(f"/forums/p/{post}/edit", body="kind words")
    entry = scalar(app, sa.select(AuditEntry).where(AuditEntry.action == "forums.post_edit"))
    assert entry.before["body"] == "rude words" and entry.after["body"] == "kind words" and entry.actor_id == chen.id


def test_site_moderator_sees_every_circles_queue(app, forum, make_user, make_circle):
    circle, chen, mei, leo = _setup(make_user, make_circle, forum, approve_first_posts=True)
    forum(mei).start_topic(circle, title="Held one")
    assert "Held one" in forum(make_user(role="moderator")).page("/forums/queue")
    assert forum(leo).get("/forums/queue").status_code == 403


def _flag_notifications(app):
    with app.app_context():
        return db.session.scalars(sa.select(Notification).where(Notification.kind == "forums.flags")).all()
