"""The forums' hooks: search documents with their visibility, a member's export and erasure,
the weekly best-of into digests, widgets, the product that unlocks a circle, the demo, and a
disabled plugin that hides its pages but keeps its data."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from kpay.cli import cli
from kpay.commerce import can_access
from kpay.extensions import db
from kpay.models import ActivityEvent, Notification, User
from kpay.plugins import hook
from kpay.types import Resource
from plugins.forums import best_of
from plugins.forums.models import BestOfRun, Circle, Like, Poll, Post, Topic
from plugins.forums.search_docs import documents
from plugins.forums.tests.conftest import count, scalar


def _documents(app, since=None) -> dict[tuple[str, str], object]:
    with app.test_request_context():
        return {(d.kind, d.id): d for group in hook().kpay_search_documents(since=since) for d in group or ()}


def test_forums_search_documents_carry_each_circles_visibility(app, forum, make_user, make_circle, membership_product):
    chen = make_user(role="creator")
    product = membership_product(chen)
    public, members, paid = make_circle(chen), make_circle(chen, visibility="members"), make_circle(chen, visibility="paid", product_id=product)
    chen_forum = forum(chen)
    topics = [chen_forum.start_topic(c, title=f"In {c}", body=f"Body {c}") for c in (public, members, paid)]
    reply = chen_forum.reply(topics[2], body="Paid reply")
    docs = _documents(app)
    assert [docs[("forums.topic", str(t))].visibility for t in topics] == ["public", "members", f"circle:{paid}"]
    assert docs[("forums.topic", str(topics[2]))].body == f"Body {paid}"
    [paid_reply] = [d for (kind, _), d in docs.items() if kind == "forums.reply"]
    assert paid_reply.visibility == f"circle:{paid}" and paid_reply.url.endswith("#post-2") and paid_reply.title == f"In {paid}"
    assert reply.status_code == 302


def test_forums_search_documents_mark_hidden_and_deleted_posts_gone(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen)
    forum(mei).join(circle)
    topic = forum(mei).start_topic(circle, title="Soon gone", body="secret words")
    forum(mei).reply(topic, body="reply words")
    reply = scalar(app, sa.select(Post.id).where(Post.number == 2))
    with app.app_context():
        mark = db.session.scalar(sa.select(sa.func.max(Post.updated_at)))
    forum(chen).post(f"/forums/p/{reply}/moderate", action="hide")
    changed = _documents(app, since=mark)
    assert set(changed) == {("forums.reply", str(reply))}
    assert changed[("forums.reply", str(reply))].visibility == "gone" and changed[("forums.reply", str(reply))].body == ""
    forum(mei).post(f"/forums/p/{scalar(app, sa.select(Post.id).where(Post.number == 1))}/delete")
    gone = _documents(app)
    assert {d.visibility for d in gone.values()} == {"gone"} and all(d.body == "" for d in gone.values())


def test_search_documents_come_in_batches_from_a_generator(app, forum, make_user, make_circle, monkeypatch):
    from plugins.forums import search_docs

    monkeypatch.setattr(search_docs, "BATCH", 2)
    chen = make_user(role="creator")
    circle = make_circle(chen)
    for n in range(5):
        forum(chen).start_topic(circle, title=f"Topic {n}")
    with app.test_request_context():
        assert [d.title for d in documents()] == [f"Topic {n}" for n in range(5)]


def test_member_export_and_erasure(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user(name="Mei")
    circle = make_circle(chen)
    mei_forum = forum(mei)
    mei_forum.join(circle)
    topic = mei_forum.start_topic(circle, title="Mine", body="my words")
    forum(chen).reply(topic, body="answer")
    mei_forum.post(f"/forums/p/{scalar(app, sa.select(Post.id).where(Post.number == 2))}/like", like="1")
    with app.app_context():
        user = db.session.get(User, mei.id)
        [export] = [a for a in hook().kpay_user_data(user=user, action="export") if a]
        assert export["posts"][0]["body"] == "my words" and export["topics"][0]["title"] == "Mine" and len(export["likes"]) == 1
        hook().kpay_user_data(user=user, action="erase")
        db.session.commit()
        assert db.session.scalar(sa.select(Post.author_id).where(Post.number == 1)) is None
        assert [a for a in hook().kpay_user_data(user=user, action="export") if a] == []
    assert count(app, Like) == 0 and "deleted member" in forum().page(f"/forums/t/{topic}")


def test_weekly_best_of_goes_to_members_digests_once(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen, name="Design")
    forum(mei).join(circle)
    topic = forum(chen).start_topic(circle, title="Great thread")
    week, start, _ = best_of.last_week()
    with app.app_context():
        db.session.execute(sa.update(Topic).where(Topic.id == topic).values(created_at=start + timedelta(days=1)))
        db.session.commit()
    with app.test_request_context():
        assert best_of.send_best_of() == 1
        assert best_of.send_best_of() == 0
    note = scalar(app, sa.select(Notification).where(Notification.user_id == mei.id, Notification.kind == "forums.best_of"))
    assert note.channel == "digest" and "Great thread" in note.text and "Design" in note.text
    assert count(app, BestOfRun) == 1 and count(app, Notification, Notification.kind == "forums.best_of") == 2


def test_paid_circle_is_unlocked_by_its_product(app, make_user, make_circle, membership_product, grant):
    chen, leo = make_user(role="creator"), make_user()
    product = membership_product(chen)
    circle = make_circle(chen, visibility="paid", product_id=product)
    with app.app_context():
        assert [p for group in hook().kpay_resource_products(resource=Resource("circle", circle)) for p in group or ()] == [product]
        assert not can_access(db.session.get(User, leo.id), Resource("circle", circle))
    grant(leo, product)
    with app.app_context():
        assert can_access(db.session.get(User, leo.id), Resource("circle", circle))


def test_home_shows_active_discussions_and_creators_their_unanswered_questions(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen)
    forum(mei).join(circle)
    forum(mei).start_topic(circle, title="Open question", kind="question")
    assert "/forums/widgets/active" in forum().page("/")
    assert "Open question" in forum().page("/forums/widgets/active")
    assert "/forums/widgets/unanswered" in forum(chen).page("/") and "/forums/widgets/unanswered" not in forum(mei).page("/")
    partial = forum(chen).get("/forums/widgets/unanswered", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.startswith('<section id="forums-unanswered"') and "Open question" in partial
    assert "Open question" not in forum(mei).page("/forums/widgets/unanswered")


def test_disabled_plugin_hides_its_pages_and_keeps_its_data(make_app, make_user, make_circle):
    chen = make_user(role="creator")
    make_circle(chen)
    off = make_app({"plugins": {"enabled": []}})
    assert off.test_client().get("/forums/").status_code == 404
    with off.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Circle)) == 1


def test_kpay_demo_adds_a_free_and_a_paid_bilingual_circle(make_app):
    app = make_app({"plugins": {"enabled": ["forums", "pay_sandbox"]}})
    result = app.test_cli_runner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        circles = db.session.scalars(sa.select(Circle).order_by(Circle.id)).all()
        assert [c.visibility for c in circles] == ["public", "paid"] and circles[1].product_id is not None
        titles = db.session.scalars(sa.select(Topic.title)).all()
        assert any("怎样写好一份 PRD" in t for t in titles)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Topic).where(Topic.accepted_post_id.is_not(None))) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Topic).where(Topic.featured_at.is_not(None))) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Topic).where(Topic.kind == "poll")) == 1


def test_the_demos_likes_accepted_answer_and_vote_emit_the_events_real_ones_do(make_app):
    app = make_app({"plugins": {"enabled": ["forums", "pay_sandbox"]}})
    assert app.test_cli_runner().invoke(cli, ["demo"]).exit_code == 0
    with app.app_context():
        names = db.session.scalars(sa.select(ActivityEvent.name)).all()
        assert (names.count("post.liked"), names.count("answer.accepted"), names.count("poll.voted")) == (3, 1, 1)
        assert db.session.scalar(sa.select(sa.func.sum(Topic.like_count))) == 3
        poll = db.session.scalar(sa.select(Poll))
        assert (poll.voters, [o.votes for o in poll.options]) == (1, [1, 0, 0])


def test_best_of_waits_for_the_site_url_outside_a_request(app):
    with app.app_context():
        assert best_of.send_best_of() == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BestOfRun)) == 0
