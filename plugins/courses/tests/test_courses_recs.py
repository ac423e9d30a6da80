"""The courses as recommendation items and signals (``plugins/courses/recs.py``), read with plain
stand-in constructors: published courses only, each with its public card and never a word of a
paid lesson; enrolments and completions as signals."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import User, db, utcnow
from plugins.courses.models import Course, Enrolment
from plugins.courses.progress import enrol
from plugins.courses.recs import items, signals
from plugins.courses.tests.conftest import make_course


def test_published_courses_are_offered_with_their_public_card_and_no_paid_text(app, make_user):
    creator = make_user("creator")
    paid = make_course(app, creator.id, price_minor=14900, title="Data Visualisation", subtitle="Charts at a glance",
                       tags="data,charts")
    draft = make_course(app, creator.id, title="Not yet", status="draft")
    with app.test_request_context():
        cards = {kw["id"]: kw for kw in items(lambda **kw: kw)}
    assert draft.id not in cards
    card = cards[paid.id]
    assert (card["title"], card["summary"], card["price_minor"], card["tags"]) == (
        "Data Visualisation", "Charts at a glance", 14900, ("data", "charts"))
    assert not card["resource"].free
    assert "CANARY" not in repr(cards)  # the paid lessons' text and files never reach a card


def test_enrolments_and_completions_are_signals(app, make_user):
    creator, learner = make_user("creator"), make_user()
    course = make_course(app, creator.id, price_minor=None, media=False)
    with app.app_context():
        enrol(db.session.get(User, learner.id), db.session.get(Course, course.id))
        db.session.execute(sa.update(Enrolment).values(completed_at=utcnow()))
        db.session.commit()
        given = sorted((kw["user_id"], kw["key"], kw["action"], kw["weight"]) for kw in signals(lambda **kw: kw))
    key = f"course:{course.id}"
    assert given == [(learner.id, key, "completed", 3.0), (learner.id, key, "enrolled", 2.0)]
