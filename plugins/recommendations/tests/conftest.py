"""An app with courses, forums and recommendations: a free data course a learner finished,
a paid data course and a writing course whose paid lessons carry canaries, a paid circle
whose topic title is a canary, and the lists refreshed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kpay.cli import cli
from kpay.api import Product, db, utcnow
from kpay.testing import Auth
from plugins.courses.models import Enrolment
from plugins.courses.tests.conftest import make_course
from plugins.forums.models import Circle, Membership, Topic

ENABLED = {"plugins": {"enabled": ["courses", "forums", "recommendations", "pay_sandbox"]}}
CIRCLE_CANARY = "CANARY-PAID-CIRCLE-TOPIC"


@pytest.fixture
def app(make_app):
    return make_app(ENABLED)


@dataclass
class Site:
    learner: object
    other: object
    basics: int
    paid: int
    writing: int
    circle: int
    topic: int


def refresh(app) -> None:
    result = app.test_cli_runner().invoke(cli, ["recs", "refresh"])
    assert result.exit_code == 0, result.output


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user.email)
    return client


@pytest.fixture
def site(app, make_user):
    creator = make_user("creator", name="Teacher")
    learner, other = make_user(name="Leo Learner"), make_user(name="Olga Other")
    basics = make_course(app, creator.id, price_minor=None, media=False, title="Data Analysis Basics", tags="data")
    paid = make_course(app, creator.id, price_minor=14900, media=False, title="Data Visualisation",
                       subtitle="Charts at a glance", tags="data,charts")
    writing = make_course(app, creator.id, price_minor=19900, media=False, title="Writing That Sells", tags="writing")
    with app.app_context():
        now = utcnow()
        db.session.add_all([
            Enrolment(course_id=basics.id, user_id=learner.id, completed_count=4, percent=100, completed_at=now),
            Enrolment(course_id=writing.id, user_id=other.id),
        ])
        product = Product(creator_id=creator.id, name="Circle", price_minor=990, currency="CNY", kind="membership",
                          period_days=30)
        db.session.add(product)
        db.session.flush()
        circle = Circle(name="Paid circle", visibility="paid", product_id=product.id, creator_id=creator.id)
        db.session.add(circle)
        db.session.flush()
        topic = Topic(circle_id=circle.id, title=CIRCLE_CANARY, author_id=creator.id)
        db.session.add_all([topic, Membership(circle_id=circle.id, user_id=other.id)])
        db.session.commit()
        ids = circle.id, topic.id
    refresh(app)
    return Site(learner, other, basics.id, paid.id, writing.id, *ids)
