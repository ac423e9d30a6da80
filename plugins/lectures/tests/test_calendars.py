"""Calendar files: a lecture's .ics and a member's private feed parse back with their alarms and
the organizer's zone, a weekly series expands, a renewed address revokes the old one, and no
calendar ever carries the meeting link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import recurring_ical_events
from zoneinfo import ZoneInfo

from kpay.testing import csrf_token
from plugins.lectures.tests.conftest import canary, lecture_row, logged_in, make_lecture, wall_in
from plugins.lectures.tests.test_seats import answer


def test_a_lectures_ics_parses_with_its_zone_and_both_alarms(app, make_user):
    creator = make_user(role="creator")
    lecture_id = make_lecture(app, creator.id, zone="Europe/Berlin", title="Live Python")
    response = app.test_client().get(f"/live/{lecture_id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert canary(lecture_id).encode() not in response.data
    cal = icalendar.Calendar.from_ical(response.data)
    event = next(iter(cal.walk("VEVENT")))
    assert str(event["summary"]) == "Live Python"
    assert str(event["dtstart"].dt.tzinfo) == "Europe/Berlin" and cal.walk("VTIMEZONE")
    assert sorted(alarm["trigger"].dt for alarm in event.walk("VALARM")) == [timedelta(days=-1),
                                                                           timedelta(minutes=-15)]


def test_the_private_feed_lists_my_series_and_a_new_address_revokes_the_old(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    # "until" is a day in the organizer's zone: the fourth week's own day, whatever the hour now.
    first = make_lecture(app, creator.id, hours=30, title="Weekly Q&A",
                         until=(wall_in(30) + timedelta(weeks=3)).date())
    client = logged_in(app, member)
    for lecture_id in range(first, first + 4):
        answer(client, lecture_id, "going")
    client.post("/live/calendar", data={"csrf_token": csrf_token(client.get("/live/calendar"))})
    page = client.get("/live/calendar")
    feed = re.search(r'value="(http[^"]+\.ics)"', page.get_data(as_text=True)).group(1)
    path = feed.split("kpay.test", 1)[-1].split("localhost", 1)[-1]
    body = app.test_client().get(path).data
    assert all(canary(n).encode() not in body for n in range(first, first + 4))
    cal = icalendar.Calendar.from_ical(body)
    weeks = recurring_ical_events.of(cal).between(datetime.now(UTC), datetime.now(UTC) + timedelta(days=60))
    assert [e["summary"] for e in weeks] == ["Weekly Q&A"] * 4
    hours = {e["dtstart"].dt.astimezone(e["dtstart"].dt.tzinfo).strftime("%H:%M") for e in weeks}
    assert len(hours) == 1  # the same local time every week
    assert all(len(e.walk("VALARM")) == 2 for e in weeks)

    client.post("/live/calendar", data={"csrf_token": csrf_token(page)})
    assert app.test_client().get(path).status_code == 404
    assert app.test_client().get("/live/feed/made-up.ics").status_code == 404


def test_month_and_week_views_place_a_lecture_on_its_day_with_links_around(app, make_user):
    creator = make_user(role="creator")
    lecture_id = make_lecture(app, creator.id, hours=24 * 40, title="Far ahead")
    when = lecture_row(app, lecture_id).starts_at.astimezone(ZoneInfo("Asia/Shanghai"))
    client = app.test_client()
    month = client.get(f"/live/month?m={when:%Y-%m}").get_data(as_text=True)
    week = client.get(f"/live/week?w={when:%Y-%m-%d}", headers={"HX-Request": "true"}).get_data(as_text=True)
    for page in (month, week):
        assert "Far ahead" in page and canary(lecture_id) not in page
    assert week.lstrip().startswith('<section class="lecture-month" id="lecture-month">')
    assert 'href="/live/week?w=' in week and 'hx-get="/live/week?w=' in week
    assert "Far ahead" not in client.get(f"/live/week?w={when - timedelta(days=7):%Y-%m-%d}").get_data(as_text=True)
    for bad in ("/live/month?m=garbage", "/live/week?w=99999-1-1", "/live/month?m=1800-01"):
        assert client.get(bad).status_code == 200
