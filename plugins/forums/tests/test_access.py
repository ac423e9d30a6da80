"""S19/S20 for the forums: every forum route and partial of a paid circle, requested by outsiders
(a visitor, a member without the product, a banned buyer's neighbour), never shows a canary
planted in its topics, replies, tags and poll, and no POST changes anything."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import url_for

from kpay.extensions import db
from plugins.forums.models import Ballot, Flag, Like, Membership, Post, Topic, Watch
from plugins.forums.tests.conftest import Forum, count

CANARY = "CANARY-PAID"


@pytest.fixture
def paid(app, forum, make_user, make_circle, membership_product, grant):
    """A paid circle full of canaries, written by its creator and a buyer."""
    chen, buyer = make_user(role="creator", name="Chen"), make_user(name="Buyer")
    product = membership_product(chen)
    circle = make_circle(chen, visibility="paid", product_id=product, description="Open description")
    grant(buyer, product)
    chen_forum, buyer_forum = forum(chen), forum(buyer)
    buyer_forum.join(circle)
    question = chen_forum.start_topic(circle, title=f"{CANARY} question", body=f"{CANARY} body", kind="question",
                                      tags="canary-paid")
    buyer_forum.reply(question, body=f"{CANARY} reply")
    poll = chen_forum.start_topic(circle, title=f"{CANARY} poll", body=f"{CANARY} ask", kind="poll",
                                  poll_options=f"{CANARY} A\n{CANARY} B")
    buyer_forum.post(f"/forums/t/{poll}/vote", option="1")
    with app.app_context():
        reply = db.session.scalar(sa.select(Post.id).where(Post.topic_id == question, Post.number == 2))
    return {"circle_id": circle, "topic_id": question, "post_id": reply, "user_id": buyer.id, "poll": poll}


def _urls(app, values: dict) -> dict[str, tuple[str, set[str]]]:
    with app.test_request_context():
        return {
            rule.endpoint: (url_for(rule.endpoint, **{a: values[a] for a in rule.arguments}), rule.methods)
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("forums.") and rule.endpoint != "forums.static"
        }


def _state(app) -> tuple:
    return tuple(count(app, model) for model in (Post, Topic, Like, Flag, Watch, Ballot, Membership))


@pytest.mark.parametrize("who", ["visitor", "member without the product"])
def test_outsider_finds_the_canary_nowhere_and_changes_nothing(app, paid, make_user, who):
    outsider = Forum(app)
    if who != "visitor":
        outsider.login(make_user(name="Outsider"))
    before = _state(app)
    urls = _urls(app, paid)
    assert len(urls) >= 25
    for topic_id in (paid["topic_id"], paid["poll"]):
        urls[f"poll of {topic_id}"] = (f"/forums/t/{topic_id}/poll", {"GET"})
        urls[f"topic of {topic_id}"] = (f"/forums/t/{topic_id}?after=1", {"GET"})
    for endpoint, (url, methods) in urls.items():
        for headers in ({}, {"HX-Request": "true"}):
            response = outsider.get(url, headers=headers)
            assert CANARY not in response.get_data(as_text=True), (endpoint, url)
            assert response.status_code in (200, 302, 403, 404, 405), (endpoint, response.status_code)
        if "POST" in methods:
            data = {"body": "x", "title": "xxx", "kind": "discussion", "option": "1", "action": "hide",
                    "reason": "spam", "name": "n", "visibility": "public", "product_id": "0"}
            response = outsider.post(url, **data)
            assert CANARY not in response.get_data(as_text=True), endpoint
            assert response.status_code in (302, 400, 403, 404), (endpoint, response.status_code)
    assert _state(app) == before
    assert "Open description" in outsider.page(f"/forums/c/{paid['circle_id']}")


def test_buyer_reads_what_outsiders_cannot(app, paid, forum, make_user):
    buyer = Forum(app)
    with app.app_context():
        from kpay.models import User
        buyer.login(db.session.get(User, paid["user_id"]))
    assert f"{CANARY} question" in buyer.page(f"/forums/c/{paid['circle_id']}")
    assert f"{CANARY} reply" in buyer.page(f"/forums/t/{paid['topic_id']}")
    assert f"{CANARY} A" in buyer.page(f"/forums/t/{paid['poll']}/poll")


def test_neighbouring_ids_and_cross_topic_quotes_leak_nothing(app, paid, forum, make_user, make_circle):
    outsider = make_user(name="Neighbour")
    public = make_circle(make_user(role="creator"))
    person = forum(outsider)
    person.join(public)
    own_topic = person.start_topic(public, title="Open topic")
    with app.app_context():
        topic_ids = db.session.scalars(sa.select(Topic.id)).all()
        post_ids = db.session.scalars(sa.select(Post.id)).all()
    urls = [f"/forums/t/{own_topic}/reply?quote={p}" for p in post_ids]
    for t in range(1, max(topic_ids) + 2):
        urls += [f"/forums/t/{t}", f"/forums/t/{t}?after=1", f"/forums/t/{t}/poll", f"/forums/t/{t}/reply"]
    for p in range(1, max(post_ids) + 2):
        urls += [f"/forums/p/{p}/edit", f"/forums/p/{p}/flag"]
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            assert CANARY not in person.get(url, headers=headers).get_data(as_text=True), url
    assert CANARY not in person.page("/forums/widgets/active") and CANARY not in person.page("/forums/")


def test_site_moderator_without_the_product_does_not_see_a_paid_circles_queue(app, paid, forum, make_user):
    staff = forum(make_user(role="moderator"))
    with app.app_context():
        db.session.execute(sa.update(Post).where(Post.number == 2).values(status="pending"))
        db.session.commit()
    assert staff.get(f"/forums/c/{paid['circle_id']}/queue").status_code == 403
    assert CANARY not in staff.page("/forums/queue")
    assert CANARY not in staff.page("/forums/widgets/unanswered")
    assert CANARY in forum(make_user(role="admin")).page("/forums/queue")


def test_opening_every_forum_page_writes_nothing(app, paid, forum, make_user):
    """S4 with real ids: the buyer and the circle's creator open every GET route and partial."""
    from kpay.models import User

    with app.app_context():
        buyer = db.session.get(User, paid["user_id"])
        creator = db.session.scalar(sa.select(User).where(User.role == "creator"))
        engine = db.engine
    writes = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().lower().startswith(("insert", "update", "delete")):
            writes.append(statement[:60])

    urls = [url for url, methods in _urls(app, paid).values() if "GET" in methods]
    for person in (forum(buyer), forum(creator)):
        person.get("/")
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            for url in urls + [f"/forums/t/{paid['poll']}", f"/forums/t/{paid['topic_id']}?after=1"]:
                for headers in ({}, {"HX-Request": "true"}):
                    assert person.get(url, headers=headers).status_code < 500, url
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
    assert writes == []
