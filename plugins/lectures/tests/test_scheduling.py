"""A creator schedules lectures through the studio form: wall time and zone, DST refused beside
the field, weekly series at the same local time, bad input beside its field; a move or a
cancellation tells attendees at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import icalendar
import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import Notification
from kpay.testing import csrf_token
from plugins.lectures.models import Lecture
from plugins.lectures.tests.conftest import count, logged_in, make_lecture
from plugins.lectures.tests.test_seats import answer

GOOD = {"title": "Live Python", "description": "Bring questions.", "speakers": "Chen", "starts": "2027-03-27T09:00",
        "zone": "Europe/Berlin", "minutes": "60", "capacity": "30", "product_id": "", "membership_product_id": "",
        "provider": "url", "meeting_url": "https://meet.example/room", "repeat_until": ""}


@pytest.fixture
def studio(app, make_user):
    return logged_in(app, make_user(role="creator"))


def post(client, url="/live/studio/new", **changes):
    token = csrf_token(client.get(url))
    return client.post(url, data={**GOOD, **changes, "csrf_token": token})


def error_beside(response, field: str) -> str:
    page = response.get_data(as_text=True)
    found = re.search(rf'<ul class="errors" id="{field}-errors">(.*?)</ul>', page, re.S)
    assert found, f"no error beside {field}"
    return re.sub(r"<[^>]+>", " ", found.group(1)).strip()


def test_weekly_series_across_spring_forward_stays_at_nine_local(app, studio):
    response = post(studio, repeat_until="2027-04-10")
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.scalars(sa.select(Lecture).order_by(Lecture.starts_at)).all()
    assert [r.starts_at.astimezone(UTC).hour for r in rows] == [8, 7, 7]  # CET, then CEST
    assert {r.local_start.hour for r in rows} == {9} and len({r.series for r in rows}) == 1


@pytest.mark.parametrize("zone, utc_start", [("Asia/Shanghai", "2027-05-27 13:00"),
                                             ("America/Los_Angeles", "2027-05-28 04:00")])
def test_a_series_includes_the_lecture_late_on_its_until_day_in_the_organizers_zone(app, studio, zone, utc_start):
    assert "a lecture late that day is the last" in studio.get("/live/studio/new").get_data(as_text=True)
    response = post(studio, starts="2027-05-06T21:00", zone=zone, repeat_until="2027-05-27")
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.scalars(sa.select(Lecture).order_by(Lecture.starts_at)).all()
    assert [f"{r.local_start:%m-%d %H:%M}" for r in rows] == ["05-06 21:00", "05-13 21:00", "05-20 21:00",
                                                               "05-27 21:00"]
    assert f"{rows[-1].starts_at.astimezone(UTC):%Y-%m-%d %H:%M}" == utc_start
    event = next(iter(icalendar.Calendar.from_ical(studio.get(f"/live/{rows[-1].id}.ics").data).walk("VEVENT")))
    start = event["dtstart"].dt
    assert (f"{start:%Y-%m-%d %H:%M}", str(start.tzinfo)) == ("2027-05-27 21:00", zone)


BAD = [
    ({"starts": "2027-03-28T02:30"}, "starts", "does not exist"),
    ({"starts": "2027-10-31T02:30"}, "starts", "happens twice"),
    ({"starts": "2020-01-01T10:00"}, "starts", "in the future"),
    ({"zone": "Mars/Olympus"}, "zone", "Unknown time zone"),
    ({"capacity": "0"}, "capacity", ""),
    ({"capacity": "-3"}, "capacity", ""),
    ({"minutes": "0"}, "minutes", ""),
    ({"meeting_url": "ftp://files.example/room"}, "meeting_url", "http"),
    ({"meeting_url": "javascript:alert(1)"}, "meeting_url", "http"),
    ({"description": "x" * 20001}, "description", ""),
    ({"repeat_until": "2027-03-01"}, "repeat_until", "end after"),
    ({"repeat_until": "2029-03-01"}, "repeat_until", "at most"),
    ({"starts": "2027-03-21T02:30", "repeat_until": "2027-04-04"}, "starts", "2027-03-28 02:30"),
]


def test_bad_input_comes_back_beside_the_field_and_saves_nothing(app, studio):
    for changes, field, message in BAD:
        response = post(studio, **changes)
        assert response.status_code == 422, changes
        assert message in error_beside(response, field), changes
    assert count(app, Lecture) == 0


def test_moving_a_lecture_tells_attendees_at_once_and_cancelling_too(app, make_user, studio):
    creator = make_user(role="creator")
    member = make_user()
    lecture_id = make_lecture(app, creator.id)
    answer(logged_in(app, member), lecture_id, "going")
    owner = logged_in(app, creator)
    url = f"/live/studio/{lecture_id}"
    assert post(owner, url, starts="2030-05-05T10:00", zone="Asia/Kolkata").status_code == 302
    with app.app_context():
        moved = db.session.get(Lecture, lecture_id)
        assert moved.starts_at == datetime(2030, 5, 5, 4, 30, tzinfo=UTC)
        told = db.session.scalars(sa.select(Notification.text).filter_by(user_id=member.id)).all()
    assert any("moved to 2030-05-05 10:00 (Asia/Kolkata)" in text for text in told)
    token = csrf_token(owner.get(url))
    owner.post(f"{url}/cancel", data={"csrf_token": token})
    owner.post(f"{url}/cancel", data={"csrf_token": token})
    assert count(app, Notification, user_id=member.id) == 2
    assert "This lecture was cancelled." in owner.get(f"/live/{lecture_id}").get_data(as_text=True)
    assert studio.get(url).status_code == 404  # another creator's lecture
