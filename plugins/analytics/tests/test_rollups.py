"""The rollups the job keeps incrementally equal a rebuild from the events, and the engagement
terms come out as a hand count says (SQLite, and PostgreSQL with KPAY_TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from kpay.api import db, today
from kpay.testing import Auth
from plugins.analytics import rollup
from plugins.analytics.models import Daily, MemberDay
from plugins.analytics.tests.conftest import record, roll


def story(app, members) -> list:
    """Steps of activity: between them the job runs, so one member's day spans several runs."""
    a, b, c = members
    return [
        lambda: [*(record(app, "user.signed_up", m) for m in members),
                 record(app, "topic.created", a, topic_id=10, circle_id=1, circle_name="Readers", title="Hello"),
                 record(app, "reply.created", b, topic_id=10, circle_id=1)],
        lambda: [record(app, "reply.created", b, topic_id=10, circle_id=1),  # same topic, same day: D once
                 record(app, "reply.created", b, topic_id=11, circle_id=2), record(app, "post.liked", c, topic_id=10, circle_id=1)],
        lambda: [record(app, "lesson.completed", c, course_id=5, lessons=4, course_title="Data", course_owner_id=a),
                 record(app, "lesson.completed", c, course_id=5, lessons=4),
                 record(app, "answer.accepted", a, topic_id=10, circle_id=1), record(app, "review.created", c)],
        lambda: [record(app, "order.paid", a, product_id=1), record(app, "order.paid", a, product_id=1),
                 record(app, "referral.visited", None, code="LEO"), record(app, "referral.signed_up", b, code="LEO"),
                 record(app, "referral.converted", b, code="LEO"), record(app, "referral.shared", a, item="/courses/5")],
    ]


def test_the_incremental_rollups_equal_a_rebuild(app, make_user, monkeypatch):
    monkeypatch.setattr(rollup, "BATCH", 2)  # every run reads several batches, splitting days between them
    members = [make_user().id for _ in range(3)]
    for step in story(app, members):
        step()
        roll(app)
    with app.app_context():
        kept = rollup.snapshot()
        assert kept["analytics_daily"], "the job rolled nothing up"
        rollup.rebuild(rollup.utcnow() + rollup.LAG)
        assert rollup.snapshot() == kept


def test_a_second_run_adds_nothing(app, make_user):
    members = [make_user().id for _ in range(3)]
    for step in story(app, members):
        step()
    roll(app)
    with app.app_context():
        kept = rollup.snapshot()
    assert roll(app) == 0
    with app.app_context():
        assert rollup.snapshot() == kept


def test_engagement_terms_match_a_hand_count(app, make_user):
    a, b, c = members = [make_user().id for _ in range(3)]
    for step in story(app, members):
        step()
    roll(app)
    with app.app_context():
        day = today()
        site = dict(db.session.execute(sa.select(Daily.metric, Daily.value).where(Daily.day == day, Daily.dim == "")).all())
        circle1 = dict(db.session.execute(sa.select(Daily.metric, Daily.value).where(Daily.dim == "1", Daily.metric.like("%_circle"))).all())
        people = {row.user_id: row for row in db.session.scalars(sa.select(MemberDay))}
    # I: 3 replies + 1 like + 1 accepted answer + 1 review; D: 1 topic started + topics 10 and 11 replied in
    assert site["I"] == 6 and site["D"] == 3
    assert site["C"] == 500_000  # two of four lessons: half a course
    assert circle1["I_circle"] == 4 and circle1["D_circle"] == 2
    assert (people[b].interactions, people[b].discussions) == (3, 2)
    assert people[c].completion == 500_000 and people[c].interactions == 2
    assert site["active"] == 3


def test_the_dashboard_shows_u_with_its_inputs(app, client, make_user):
    members = [make_user().id for _ in range(3)]
    for step in story(app, members):
        step()
    roll(app)
    admin = make_user("admin")
    Auth(client).login(admin.email)
    with app.app_context():
        day = today().isoformat()
    page = client.get(f"/analytics/?start={day}&end={day}").get_data(as_text=True)
    assert "U = (I + D + C) / T = (6 + 3 + 0.50) / 1 = 9.500" in page
    funnel = client.get(f"/analytics/funnel.csv?start={day}&end={day}").get_data(as_text=True)
    assert "direct,0,3,1,1" in funnel  # three sign-ups (make_user), one first and one repeat purchase
    codes = client.get(f"/analytics/referrals.csv?start={day}&end={day}").get_data(as_text=True)
    assert "LEO,1,1,1" in codes


def test_cohorts_count_each_member_once_a_month_under_the_month_they_joined(app, client, make_user):
    members = [make_user().id for _ in range(3)]
    for step in story(app, members):
        step()
    roll(app)
    admin = make_user("admin")
    Auth(client).login(admin.email)
    with app.app_context():
        day = today().isoformat()
    rows = client.get(f"/analytics/cohorts.csv?start={day}&end={day}").get_data(as_text=True).splitlines()
    assert rows[0].lstrip("\ufeff") == "joined,members,month_0"
    assert rows[1] == f"{day[:7]},3,1.0000"  # three joined, all three active this month


def test_the_demo_history_survives_a_rebuild(app, make_user):
    from plugins.analytics.demo import add_history

    record(app, "user.signed_up", make_user().id)
    with app.test_request_context("/"):
        add_history()
        add_history()  # a second `kpay demo --plugin analytics` adds nothing
        kept = rollup.snapshot()
        signups = db.session.scalar(sa.select(sa.func.sum(Daily.value)).where(Daily.metric == "signups"))
        assert signups > 300  # a year of history, and the real sign-up
        rollup.rebuild(rollup.utcnow() + rollup.LAG)
        assert rollup.snapshot() == kept
