"""Activity events: logged with the change, heard by plugins after commit, never on rollback."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kpay import events, hookimpl
from kpay.extensions import db
from kpay.models import ActivityEvent, User
from tests.conftest import csrf_token


class Listener:
    """A plugin that remembers every event it hears."""

    def __init__(self):
        self.heard = []

    @hookimpl
    def kpay_event(self, event):
        self.heard.append(event)


class BrokenListener:
    @hookimpl
    def kpay_event(self, event):
        raise RuntimeError("plugin bug")


@pytest.fixture
def listener():
    return Listener()


@pytest.fixture
def app(make_app, listener):
    return make_app(plugins=[listener])


def names(listener) -> list[str]:
    return [event.name for event in listener.heard]


def logged_names(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(ActivityEvent.name).order_by(ActivityEvent.id)).all()


def test_plugin_hears_a_committed_event_with_its_member_subject_and_data(app, listener, make_user):
    member_id = make_user().id
    with app.app_context():
        member = db.session.get(User, member_id)
        row = events.emit("course.completed", user=member, subject=member, course_id=7)
        assert listener.heard == [], "nothing is announced before the commit"
        db.session.commit()
        event_id = row.id
    [event] = listener.heard
    assert (event.id, event.name, event.user_id) == (event_id, "course.completed", member_id)
    assert (event.subject_type, event.subject_id) == ("users", str(member_id))
    assert event.data == {"course_id": 7}
    assert logged_names(app) == ["course.completed"]


def test_rolled_back_event_is_neither_logged_nor_heard(app, listener):
    with app.app_context():
        events.emit("course.completed")
        db.session.rollback()
        db.session.commit()
    assert listener.heard == []
    assert logged_names(app) == []


def test_event_in_a_rolled_back_savepoint_is_dropped_and_the_earlier_one_still_heard(app, listener):
    with app.app_context():
        events.emit("order.paid")
        with pytest.raises(RuntimeError), db.session.begin_nested():
            events.emit("coupon.redeemed")
            raise RuntimeError("coupon already used")
        db.session.commit()
    assert names(listener) == ["order.paid"]
    assert logged_names(app) == ["order.paid"]


def test_event_in_a_released_savepoint_is_not_heard_when_the_transaction_rolls_back(app, listener):
    with app.app_context():
        with db.session.begin_nested():
            events.emit("order.paid")
        db.session.rollback()
        db.session.commit()
    assert listener.heard == []


def test_broken_plugin_does_not_stop_others_from_hearing_nor_undo_the_commit(make_app, listener):
    app = make_app(plugins=[BrokenListener(), listener])
    with app.app_context():
        events.emit("lecture.started")
        db.session.commit()
    assert names(listener) == ["lecture.started"]
    assert logged_names(app) == ["lecture.started"]


def test_signing_up_logs_the_event_and_plugins_hear_it(app, client, listener):
    token = csrf_token(client.get("/signup"))
    response = client.post("/signup", data={
        "email": "new@example.com", "display_name": "Newcomer",
        "password": "correct horse battery", "csrf_token": token,
    })
    assert response.status_code == 302, "logged in, on to the home page"
    assert names(listener) == ["user.signed_up"]
    assert logged_names(app) == ["user.signed_up"]


def test_activity_log_rows_cannot_be_edited_or_deleted(app):
    with app.app_context():
        row = events.emit("course.completed")
        db.session.commit()
        row.name = "course.refunded"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        db.session.delete(row)
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
        db.session.rollback()
    assert logged_names(app) == ["course.completed"]
