"""The plugin's parts for others: events, search documents, the next-lecture widget, a member's
data export and erase, demo data, migrations, zone-rule recompute, and switching it off."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import User
from kpay.models.events import ActivityEvent
from kpay.hookspecs import hookimpl
from kpay.testing import assert_migrations_match_models, csrf_token
from plugins.lectures import lifecycle, records
from plugins.lectures.models import Lecture, Rsvp
from plugins.lectures.providers import MeetingProvider
from plugins.lectures.tests.conftest import ENABLED, count, logged_in, make_lecture, move
from plugins.lectures.tests.test_seats import answer


def test_events_name_the_member_and_the_started_sweep_runs_once(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    lecture_id = make_lecture(app, creator.id)
    answer(logged_in(app, member), lecture_id, "going")
    move(app, lecture_id, -0.1)
    with app.app_context():
        assert lifecycle.announce_started() == 1 and lifecycle.announce_started() == 0
        events = db.session.execute(sa.select(ActivityEvent.name, ActivityEvent.user_id)
                                    .order_by(ActivityEvent.id)).all()
    assert [tuple(e) for e in events if e[0].startswith("lecture.")] == [
        ("lecture.scheduled", creator.id), ("lecture.rsvp", member.id), ("lecture.started", creator.id)]


def test_widget_search_documents_and_a_cancelled_lecture_gone(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    lecture_id = make_lecture(app, creator.id, title="Async in depth", description="Event loops")
    client = logged_in(app, member)
    assert "/live/next" in client.get("/").get_data(as_text=True)
    assert "/live/next" in client.get("/me/learning").get_data(as_text=True)
    assert "Async in depth" in client.get("/live/next", headers={"HX-Request": "true"}).get_data(as_text=True)
    answer(client, lecture_id, "going")
    assert "You are going" in client.get("/live/next").get_data(as_text=True)
    with app.test_request_context():
        document, = records.search_documents(None)
        assert (document.kind, document.visibility, document.url) == ("lecture", "public", f"/live/{lecture_id}")
        assert "Event loops" in document.body
        lifecycle.cancel(db.session.get(Lecture, lecture_id))
        db.session.commit()
        assert [d.visibility for d in records.search_documents(None)] == ["gone"]


def test_a_member_exports_then_erases_and_the_first_in_line_gets_the_seat(app, make_user, runner):
    creator, leaving, waiting = make_user(role="creator"), make_user(), make_user()
    lecture_id = make_lecture(app, creator.id, capacity=1)
    answer(logged_in(app, leaving), lecture_id, "going")
    answer(logged_in(app, waiting), lecture_id, "going")
    with app.test_request_context():
        exported = records.export(db.session.get(User, leaving.id))
        assert json.dumps(exported, default=str) and exported["rsvps"][0]["status"] == "going"
        records.erase(db.session.get(User, leaving.id))
        db.session.commit()
    assert count(app, Rsvp, user_id=leaving.id) == 0
    assert count(app, Rsvp, user_id=waiting.id, status="going") == 1


def test_a_change_of_zone_rules_is_recomputed_and_attendees_told(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    lecture_id = make_lecture(app, creator.id, zone="Europe/Berlin")
    answer(logged_in(app, member), lecture_id, "going")
    with app.test_request_context():
        lecture = db.session.get(Lecture, lecture_id)
        right = lecture.starts_at
        lecture.utc_offset += 3600  # as if tzdata had said an hour more when it was scheduled
        lecture.starts_at = right - timedelta(hours=1)
        db.session.commit()
        assert lifecycle.rederive_instants() == 1 and lifecycle.rederive_instants() == 0
        assert db.session.get(Lecture, lecture_id).starts_at == right


def test_demo_data_twice_adds_once(app, runner):
    from kpay.cli import cli

    assert runner.invoke(cli, ["demo"]).exit_code == 0
    with app.app_context():
        from plugins.lectures.demo import build

        build()
        lectures = db.session.scalars(sa.select(Lecture)).all()
    assert len(lectures) == 6
    assert any(lecture.replay_url for lecture in lectures)
    assert any(lecture.full for lecture in lectures) and count(app, Rsvp, status="waiting") == 1
    assert len({lecture.series for lecture in lectures if lecture.series}) == 1


def test_switched_off_the_pages_are_404_and_the_data_stays(make_app, make_user):
    app = make_app({"plugins": {"enabled": ["lectures"]}})
    creator = make_user(role="creator")
    lecture_id = make_lecture(app, creator.id)
    off = make_app({"plugins": {"enabled": []}}, create_tables=False)
    assert off.test_client().get(f"/live/{lecture_id}").status_code == 404
    assert count(off, Lecture) == 1


def test_migrations_match_the_models():
    assert_migrations_match_models("lectures")


class BigBlueButton:
    """A meeting-provider plugin: a room per lecture, made when an attendee joins."""

    @hookimpl
    def kpay_lectures_meeting_providers(self):
        return [MeetingProvider("bbb", "BigBlueButton", lambda lecture, user: f"https://bbb.example/room-{lecture.id}")]


def test_a_plugin_adds_a_meeting_provider_that_attendees_join_through(make_app, make_user):
    app = make_app(ENABLED, plugins=[BigBlueButton()])
    creator, member = make_user(role="creator"), make_user()
    owner = logged_in(app, creator)
    assert '<option value="bbb">BigBlueButton</option>' in owner.get("/live/studio/new").get_data(as_text=True)
    lecture_id = make_lecture(app, creator.id, hours=0.1, provider="bbb")
    client = logged_in(app, member)
    answer(client, lecture_id, "going")
    joined = client.post(f"/live/{lecture_id}/join", data={"csrf_token": csrf_token(client.get("/live/"))})
    assert joined.headers["Location"] == f"https://bbb.example/room-{lecture_id}"
