"""Who opens the dashboard, ranges good and bad, htmx partials, CSV tables and the cost form."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from kpay.api import db, today
from kpay.testing import Auth, assert_outsiders_see_nothing, csrf_token
from plugins.analytics.models import Cost
from plugins.analytics.tests.conftest import record, roll


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def test_members_and_visitors_cannot_open_analytics(app, client, make_user):
    assert client.get("/analytics/").status_code == 302
    Auth(client).login(make_user().email)
    assert client.get("/analytics/").status_code == 403
    assert client.get("/analytics/funnel.csv").status_code == 403
    assert client.get("/analytics/widget").status_code == 403


def test_outsiders_see_no_figures(app, make_user):
    record(app, "referral.visited", None, code="CANARY-CODE")
    roll(app)
    assert_outsiders_see_nothing(app, "analytics", "CANARY-CODE", {"table": "referrals"}, member=make_user())


@pytest.mark.parametrize(("query", "message"), [
    ("start=2026-05-01&end=2026-04-01", "The end comes before the start"),
    ("start=2001-01-01&end=2026-01-01", "at most ten years"),
    ("start=yesterday&end=2026-13-45", "Not a valid date value"),
])
def test_bad_ranges_get_a_message_beside_the_field(client, admin, query, message):
    Auth(client).login(admin.email)
    response = client.get(f"/analytics/?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_site_with_three_members_and_a_one_day_range_says_it_cannot_fit(app, client, admin, make_user):
    for _ in range(2):
        record(app, "user.signed_up", make_user().id)
    roll(app)
    Auth(client).login(admin.email)
    with app.app_context():
        day = today().isoformat()
        long_ago = (today() - timedelta(days=3650)).isoformat()
    one_day = client.get(f"/analytics/?start={day}&end={day}")
    assert one_day.status_code == 200 and "The range is too short to fit growth" in one_day.get_data(as_text=True)
    decade = client.get(f"/analytics/?start={long_ago}&end={day}&group=month")
    assert decade.status_code == 200
    assert client.get(f"/analytics/members.csv?start={long_ago}&end={day}").status_code == 200


def test_growth_is_fitted_and_forecast_on_the_chosen_range(app, client, admin, make_user):
    with app.app_context():
        start = today() - timedelta(days=9)
    from kpay.api import ActivityEvent
    from plugins.analytics.demo import insert
    import datetime as dt

    with app.app_context():
        rows = [{"name": "user.signed_up", "user_id": None, "subject_type": None, "subject_id": None, "data": {},
                 "created_at": dt.datetime.combine(start + timedelta(days=d), dt.time(12), tzinfo=dt.UTC)}
                for d in range(10) for _ in range(2 ** (d // 2))]
        insert(ActivityEvent, iter(rows))
        db.session.commit()
    roll(app)
    Auth(client).login(admin.email)
    page = client.get(f"/analytics/?start={start.isoformat()}&end={(start + timedelta(days=9)).isoformat()}")
    text = page.get_data(as_text=True)
    assert "Doubling time" in text and "Forecast (95% band)" in text
    assert 'role="img"' in text and "<summary>Table</summary>" in text


def test_an_htmx_range_change_gets_only_the_figures(client, admin):
    Auth(client).login(admin.email)
    response = client.get("/analytics/?group=week", headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="analytics-figures">') and "<html" not in text


def test_the_admin_enters_a_monthly_cost_and_sees_e(app, client, admin, make_user):
    for _ in range(3):
        record(app, "user.signed_up", make_user().id)
    record(app, "reply.created", admin.id, topic_id=1, circle_id=1)
    roll(app)
    Auth(client).login(admin.email)
    page = client.get("/analytics/")
    assert "undefined without a cost" in page.get_data(as_text=True)
    with app.app_context():
        month = today().strftime("%Y-%m")
    bad = client.post("/analytics/costs", data={"csrf_token": csrf_token(page), "month": "May", "amount": "-3"})
    assert bad.status_code == 422 and "Enter a month as YYYY-MM." in bad.get_data(as_text=True)
    for _ in range(2):  # a second click changes nothing
        saved = client.post("/analytics/costs", data={"csrf_token": csrf_token(page), "month": month, "amount": "500"})
        assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(Cost)).one().amount_minor == 50000
    text = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "CN¥500.00" in text and "undefined without a cost" not in text


def test_the_overview_widget_shows_on_the_admin_overview_and_the_studio(app, client, admin, make_user):
    Auth(client).login(admin.email)
    assert "/analytics/widget" in client.get("/admin/").get_data(as_text=True)
    assert "Open analytics" in client.get("/analytics/widget", headers={"HX-Request": "true"}).get_data(as_text=True)
    Auth(client).logout()
    creator = make_user("creator")
    Auth(client).login(creator.email)
    assert "/analytics/widget" in client.get("/studio/products").get_data(as_text=True)
    assert "Net revenue" in client.get("/analytics/widget").get_data(as_text=True)


def test_content_spread_lists_the_most_replied_and_viewed_items(app, client, admin):
    for topic, replies in ((7, 3), (8, 1)):
        for _ in range(replies):
            record(app, "reply.created", admin.id, topic_id=topic, circle_id=1)
    roll(app)
    Auth(client).login(admin.email)
    text = client.get("/analytics/content").get_data(as_text=True)
    assert text.index("Topic #7") < text.index("Topic #8")
    assert "<td>3</td>" in text


def test_the_admins_dashboard_sends_at_most_five_statements(app, client, admin, make_user):
    from kpay.extensions import db as core_db

    for _ in range(3):
        record(app, "user.signed_up", make_user().id)
    roll(app)
    Auth(client).login(admin.email)
    assert client.get("/analytics/").status_code == 200
    with app.app_context():
        engine = core_db.engine
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get("/analytics/?group=week").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert len(seen) <= 5, "\n\n".join(seen)
