"""The lectures as recommendation items and signals (``plugins/lectures/recs.py``), read with
plain stand-in constructors: which lectures are offered, with only their public card (never the
meeting link or the replay notes), and which RSVPs count."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from kpay.api import Product, User, db, utcnow
from plugins.lectures import lifecycle, seats
from plugins.lectures.models import Lecture, Rsvp
from plugins.lectures.recs import items, signals
from plugins.lectures.tests.conftest import canary, make_lecture, move


def offered(app) -> dict[str, dict]:
    """The items the lectures plugin gives, each as the keywords it passed, by key."""
    with app.test_request_context():
        return {f"{kw['kind']}:{kw['id']}": kw for kw in items(lambda **kw: kw)}


def test_lectures_one_can_still_join_or_watch_again_are_offered_with_their_public_card(app, make_user):
    creator = make_user("creator", name="Teacher Chen")
    with app.app_context():
        product = Product(creator_id=creator.id, name="Live class", price_minor=2900, currency="CNY")
        db.session.add(product)
        db.session.commit()
        product_id = product.id
    paid = make_lecture(app, creator.id, title="Live Writing Class", speakers="Teacher Chen", product_id=product_id)
    weekly = make_lecture(app, creator.id, title="Weekly Q&A", until=(utcnow() + timedelta(days=17)).date())  # 3 weeks
    over, replayed, cancelled = (make_lecture(app, creator.id, title=t) for t in ("Over", "Replayed", "Cancelled"))
    for lecture_id in (over, replayed):
        move(app, lecture_id, -30)
    with app.app_context():
        lifecycle.attach_replay(db.session.get(Lecture, replayed), "https://player.example/1", f"Notes {canary('r')}")
        lifecycle.cancel(db.session.get(Lecture, cancelled))
        db.session.commit()
    cards = offered(app)
    assert f"lecture:{over}" not in cards and f"lecture:{cancelled}" not in cards
    assert f"lecture:{replayed}" in cards and f"lecture:{weekly}" in cards
    card = cards[f"lecture:{paid}"]
    assert (card["title"], card["summary"], card["price_minor"], card["url"]) == (
        "Live Writing Class", "Teacher Chen", 2900, f"/live/{paid}")
    assert card["resource"].kind == "lecture" and not card["resource"].free and card["starts_at"] is not None
    series = {key: c["features"] for key, c in cards.items() if c["title"] == "Weekly Q&A"}
    assert len(series) == 3 and len(set(series.values())) == 1  # one series feature, shared
    assert "CANARY" not in repr(cards)  # neither the meeting links nor the replay notes


def test_seats_places_in_line_and_attendance_are_signals_and_declining_is_not(app, make_user):
    creator = make_user("creator")
    lecture_id = make_lecture(app, creator.id, capacity=1)
    going, waiting, declined = (make_user(name=n) for n in ("Going", "Waiting", "Declined"))
    with app.app_context():
        lecture = db.session.get(Lecture, lecture_id)
        for member in (going, waiting, declined):
            seats.going(lecture, db.session.get(User, member.id))
        db.session.execute(sa.update(Rsvp).where(Rsvp.user_id == declined.id).values(status="not_going"))
        db.session.execute(sa.update(Rsvp).where(Rsvp.user_id == going.id).values(attended_at=utcnow()))
        db.session.commit()
        given = sorted((kw["user_id"], kw["action"], kw["weight"]) for kw in signals(lambda **kw: kw))
    assert given == [(going.id, "attended", 3.0), (going.id, "rsvped", 2.0), (waiting.id, "rsvped", 2.0)]
