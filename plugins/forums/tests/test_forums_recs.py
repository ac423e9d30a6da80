"""The circles and topics as recommendation items and signals (``plugins/forums/recs.py``), read
with plain stand-in constructors: names and titles only (a paid circle's topic is for those
``can_access`` lets in, and its posts never reach a card), hidden topics left out; memberships,
topics started, replies and likes as signals."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import db
from plugins.forums.models import Topic
from plugins.forums.recs import items, signals

CANARY = "CANARY-PAID-CIRCLE-POST"


def test_a_paid_circles_topics_are_offered_to_its_members_only_and_without_their_posts(
        app, make_user, make_circle, membership_product, forum):
    creator = make_user("creator")
    product = membership_product(creator)
    paid = make_circle(creator, "paid", product_id=product, name="Paid circle")
    public = make_circle(creator, name="Open circle")
    secret = forum(creator).start_topic(paid, title="Pricing your first course", body=CANARY)
    hidden = forum(creator).start_topic(public, title="Spam")
    with app.app_context():
        db.session.execute(sa.update(Topic).where(Topic.id == hidden).values(status="hidden"))
        db.session.commit()
    with app.test_request_context():
        cards = {f"{kw['kind']}:{kw['id']}": kw for kw in items(lambda **kw: kw)}
    assert cards[f"circle:{paid}"]["price_minor"] == 29900
    topic = cards[f"topic:{secret}"]
    assert topic["title"] == "Pricing your first course" and topic["audience"] == "resource"
    assert not topic["resource"].free
    assert f"topic:{hidden}" not in cards
    assert CANARY not in repr(cards)


def test_memberships_topics_started_and_replies_are_signals(app, make_user, make_circle, forum):
    creator, member = make_user("creator"), make_user()
    circle = make_circle(creator)
    topic = forum(creator).start_topic(circle)
    forum(member).join(circle)
    forum(member).reply(topic)
    with app.app_context():
        given = {(kw["user_id"], kw["key"], kw["action"]) for kw in signals(lambda **kw: kw)}
    assert {(creator.id, f"topic:{topic}", "posted"), (member.id, f"circle:{circle}", "joined"),
            (member.id, f"topic:{topic}", "replied")} <= given
