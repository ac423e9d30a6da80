"""Content spread (shares, time to first reply), circles and courses by name, and a creator's
own courses and circles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from kpay.testing import Auth
from plugins.analytics.tests.conftest import record, roll


def test_the_admin_sees_shares_time_to_first_reply_and_circles_by_name(app, client, make_user):
    admin, author, replier = make_user("admin"), make_user(), make_user()
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    named = {"circle_id": 4, "circle_name": "Data readers", "title": "Where to start?"}
    with time_machine.travel(started, tick=False):
        record(app, "topic.created", author.id, topic_id=70, **named)
    with time_machine.travel(started + timedelta(hours=1), tick=False):
        record(app, "reply.created", author.id, topic_id=70, **named)  # the author's own reply does not count
    with time_machine.travel(started + timedelta(hours=3), tick=False):
        record(app, "reply.created", replier.id, topic_id=70, **named)
    record(app, "reply.created", admin.id, topic_id=70, **named)
    record(app, "referral.shared", replier.id, item="/courses/5", channel="weibo")
    roll(app)
    Auth(client).login(admin.email)
    page = client.get("/analytics/").get_data(as_text=True)
    spread = page[page.index('id="analytics-spread"'):page.index('id="analytics-engagement"')]
    assert "<dt>Shares</dt><dd>1</dd>" in spread and "<dt>Time to first reply</dt><dd>3.0 hours</dd>" in spread
    assert ">Data readers</a>" in page and "#4" not in page
    content = client.get("/analytics/content").get_data(as_text=True)
    assert "Where to start?</a></td><td>3</td><td>3.0 hours</td>" in content
    assert content.index("Most shared pages") < content.index('href="/courses/5"')
    assert "Data readers" in client.get("/analytics/circles.csv").get_data(as_text=True)


def test_a_creator_sees_their_own_courses_and_circles_only(app, client, make_user):
    chen, li, member = make_user("creator", name="Chen"), make_user("creator", name="Li"), make_user()
    for course, title, owner in ((5, "Data basics", chen), (6, "Li's course", li)):
        record(app, "lesson.completed", member.id, course_id=course, lessons=4, course_title=title, course_owner_id=owner.id)
    for circle, name, owner in ((2, "Chen's circle", chen), (3, "Li's circle", li)):
        record(app, "topic.created", member.id, topic_id=circle * 10, circle_id=circle, circle_name=name,
               circle_owner_id=owner.id, title="Hello")
    roll(app)
    Auth(client).login(chen.email)
    page = client.get("/analytics/").get_data(as_text=True)
    own = page[page.index('id="analytics-own"'):page.index('id="analytics-revenue"')]
    assert ">Data basics</a></td><td>0.25</td>" in own and ">Chen&#39;s circle</a>" in own
    assert "Li&#39;s" not in page
    assert "Data basics" in client.get("/analytics/courses.csv").get_data(as_text=True)
    assert client.get("/analytics/content").status_code == 403
