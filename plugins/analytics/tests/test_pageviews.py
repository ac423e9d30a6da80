"""Privacy-first page views: counted without IP address, user agent or member, refused under
DNT or GPC, attributed to a source, and the member's analytics data in export and erase."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import db
from kpay.testing import Auth, csrf_token
from plugins.analytics.models import Daily, MemberDay, MemberSource, Name, PageView, Salt, TopicStart
from plugins.analytics.tests.conftest import record, roll

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/133.0"}


def view(client, path: str, referrer: str = "", **headers) -> int:
    token = csrf_token(client.get("/"))
    return client.post("/analytics/hit", data={"csrf_token": token, "p": path, "r": referrer},
                       headers={**BROWSER, **headers}, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code


def stored(app) -> list[tuple]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(sa.select(*PageView.__table__.c))]


def test_a_view_stores_no_address_agent_or_member(app, client, make_user):
    Auth(client).login(make_user(email="reader@example.com").email)
    assert view(client, "/courses/?utm_source=Newsletter&utm_campaign=autumn", "https://mail.example.org/x") == 204
    assert view(client, "/courses/1", "http://localhost/courses/") == 204
    rows = stored(app)
    assert len(rows) == 2
    text = repr(rows)
    assert "203.0.113" not in text and "Firefox" not in text and "reader" not in text
    assert {row[3] for row in rows} == {"utm:newsletter/autumn", ""}  # the landing, then a page of the site
    assert rows[0][4] == rows[1][4]  # one visitor today
    assert "utm_source" not in text  # the path is kept without its query


def test_do_not_track_and_global_privacy_control_are_honoured(app, client):
    assert view(client, "/", DNT="1") == 204
    assert view(client, "/", **{"Sec-GPC": "1"}) == 204
    assert view(client, "/", **{"User-Agent": "Googlebot/2.1"}) == 204
    assert stored(app) == []


def test_a_bad_path_is_not_counted(app, client):
    assert view(client, "https://evil.example/") == 204
    assert view(client, "//evil.example/") == 204
    assert stored(app) == []


def test_the_beacon_needs_the_csrf_token(client):
    assert client.post("/analytics/hit", data={"p": "/"}).status_code == 400


def test_visits_and_the_sign_up_they_led_to_count_for_their_source(app, client):
    view(client, "/?utm_source=wechat", "")
    view(client, "/shop/", "http://localhost/")
    token = csrf_token(client.get("/signup"))
    response = client.post("/signup", data={"csrf_token": token, "email": "new@example.com", "display_name": "New",
                                            "password": "correct horse battery", "confirm": "correct horse battery",
                                            "accept_terms": "y"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    roll(app)
    with app.app_context():
        assert db.session.scalars(sa.select(MemberSource.source)).all() == ["utm:wechat"]
        counts = dict(db.session.execute(sa.select(Daily.metric, Daily.value).where(Daily.dim == "utm:wechat")).all())
        assert counts == {"funnel_visits": 1, "funnel_signups": 1}
        site = dict(db.session.execute(sa.select(Daily.metric, Daily.value).where(Daily.dim == "")).all())
        assert site["pageviews"] == 2 and site["visitors"] == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Salt)) == 1


def test_export_holds_the_members_source_and_days_and_erase_removes_them(app, make_user):
    from plugins.analytics import member_data

    member = make_user()
    record(app, "topic.created", member.id, topic_id=3, circle_id=1, circle_name="Mine", circle_owner_id=member.id)
    record(app, "reply.created", member.id, topic_id=3, circle_id=1)
    roll(app)
    with app.app_context():
        db.session.add(MemberSource(user_id=member.id, source="site:weibo.com"))
        db.session.commit()
        data = member_data.export(member)
        assert data["signed_up_from"] == "site:weibo.com"
        assert data["engagement_days"][0]["interactions"] == 1
        member_data.erase(member)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MemberDay)) == 0
        assert member_data.export(member) is None
        assert db.session.scalar(sa.select(TopicStart.author_id)) is None  # the topic is still timed, by nobody
        assert db.session.scalar(sa.select(Name.owner_id).where(Name.kind == "circle")) is None
