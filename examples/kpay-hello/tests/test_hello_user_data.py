"""kpay-hello's part in a member's data export and account deletion (``kpay_user_data``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kpay import points
from kpay.extensions import db
from kpay.models import PointsEntry, User
from kpay.plugins import hook
from kpay_hello import greetings
from kpay_hello.models import Greeting


@pytest.fixture
def app(make_app):
    return make_app({"plugins": {"enabled": ["hello"]}})


@pytest.fixture
def people(app, make_user):
    """Mei with two greetings (and their points), Leo with one."""
    mei, leo = make_user(name="Mei"), make_user(name="Leo")
    with app.app_context():
        for user_id, text in ((mei.id, "Hi all"), (leo.id, "Hey"), (mei.id, "Good morning")):
            greetings.post(db.session.get(User, user_id), text)
        db.session.commit()
    return mei, leo


def test_hello_exports_only_the_members_own_greetings(app, people):
    mei, _ = people
    with app.app_context():
        [answer] = [a for a in hook().kpay_user_data(user=db.session.get(User, mei.id), action="export") if a]
    assert [g["text"] for g in answer["greetings"]] == ["Hi all", "Good morning"]
    assert all(g["created_at"] is not None for g in answer["greetings"])


def test_hello_exports_nothing_for_a_member_without_greetings(app, make_user):
    quiet = make_user()
    with app.app_context():
        assert hook().kpay_user_data(user=db.session.get(User, quiet.id), action="export") == []


def test_hello_erases_the_members_greetings_and_keeps_others_and_the_points(app, people):
    mei, leo = people
    with app.app_context():
        hook().kpay_user_data(user=db.session.get(User, mei.id), action="erase")
        db.session.commit()
        left = db.session.scalars(sa.select(Greeting.text)).all()
        assert left == ["Hey"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PointsEntry)) == 3
        assert points.balance(db.session.get(User, mei.id)) == 2
        assert points.balance(db.session.get(User, leo.id)) == 1
