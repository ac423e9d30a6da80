"""Members see notifications in the header bell and on /notifications, and choose per kind
where they go; nothing changes on a GET."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from kpay import hookimpl, notify
from kpay.extensions import db
from kpay.models import EmailMessage, Notification, NotificationPreference, User
from kpay.types import NotificationKind
from tests.conftest import Auth, csrf_token
from tests.notification_helpers import app, send  # noqa: F401 (fixture)
from tests.test_mail import outbox


def notifications(app, user_id) -> list[Notification]:
    with app.app_context():
        return db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        ).all()


def test_hook_kpay_notification_kinds(make_app, make_user):
    class Lectures:
        @hookimpl
        def kpay_notification_kinds(self):
            return [NotificationKind("lecture.reminder", "Lecture reminders", "digest", order=1)]

    app = make_app(plugins=[Lectures()])
    member = make_user()
    send(app, member.id, kind="lecture.reminder", text="Starts soon", url="/lectures/3")
    [stored] = notifications(app, member.id)
    assert (stored.kind, stored.channel, stored.url) == ("lecture.reminder", "digest", "/lectures/3")
    client = app.test_client()
    Auth(client).login(member.email)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert page.index("Lecture reminders") < page.index("Account and security"), "by order"


def test_same_key_notifies_a_member_once(app, make_user):
    ann, bob = make_user(), make_user()
    assert send(app, ann.id, key="reply:7") is not None
    assert send(app, ann.id, key="reply:7") is None
    assert send(app, bob.id, key="reply:7") is not None, "keys are per member"
    assert len(notifications(app, ann.id)) == 1


def test_undeclared_kind_is_refused(app, make_user):
    member = make_user()
    with pytest.raises(ValueError, match="not declared"):
        send(app, member.id, kind="nonsense")


def test_kind_turned_off_stores_nothing(app, make_user):
    member = make_user()
    with app.app_context():
        db.session.add(NotificationPreference(user_id=member.id, kind="reply", channel="off"))
        db.session.commit()
    assert send(app, member.id) is None
    assert notifications(app, member.id) == []


def test_link_off_the_site_is_replaced_by_the_home_page(app, make_user):
    member = make_user()
    send(app, member.id, url="https://evil.example/phish")
    send(app, member.id, url="//evil.example")
    assert [n.url for n in notifications(app, member.id)] == ["/", "/"]


def test_email_channel_sends_one_email_and_in_app_none(app, make_user):
    member = make_user()
    send(app, member.id, kind="reply")
    notification_id = send(app, member.id, kind="account", text="New log-in", url="/account")
    with app.app_context():
        keys = db.session.scalars(sa.select(EmailMessage.key)).all()
    assert keys == [f"notification:{notification_id}"]
    [message] = outbox(app)
    assert message["Subject"] == "[KPay Community] New log-in"
    assert "http://kpay.example/account" in message.get_payload(decode=True).decode()


@pytest.fixture
def member(app, make_user, auth):
    user = make_user()
    auth.login(user.email)
    return user


def test_bell_shows_unread_count_and_polls_politely(app, client, member):
    send(app, member.id)
    send(app, member.id)
    page = client.get("/").get_data(as_text=True)
    bell = re.search(r'<span id="notification-bell".*?</a>\s*</span>', page, re.S).group(0)
    assert 'hx-get="/notifications/count"' in bell and 'hx-trigger="every 60s"' in bell
    assert 'href="/notifications"' in bell and '<span class="badge">2</span>' in bell
    send(app, member.id)
    assert '<span class="badge">3</span>' in client.get("/").get_data(as_text=True), "a new one shows at once"


def test_visitor_sees_no_bell_and_the_count_route_stops_polling(client):
    assert "notification-bell" not in client.get("/").get_data(as_text=True)
    response = client.get("/notifications/count")
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == '<span id="notification-bell"></span>'


def test_count_route_loads_the_member_and_the_count_in_one_query(app, client, member):
    send(app, member.id)
    with app.app_context():
        engine = db.engine
    statements = []
    record = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/notifications/count", headers={"HX-Request": "true"})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert '<span class="badge">1</span>' in response.get_data(as_text=True)
    assert len(response.data) < 600
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1 and "count(" in selects[0].lower() and "notifications" in selects[0], \
        "the member and the bell's count load together"


def test_page_lists_newest_first_escaped_paginated_with_unread_marked(app, client, member):
    for n in range(22):
        send(app, member.id, text=f"note {n}")
    send(app, member.id, text="<script>alert(1)</script>")
    with app.app_context():
        db.session.execute(sa.update(Notification).where(Notification.text == "note 0")
                           .values(read_at=sa.func.current_timestamp()))
        db.session.commit()
    first = client.get("/notifications").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in first and "<script>alert" not in first
    assert first.index("&lt;script&gt;") < first.index("note 21") < first.index("note 5")
    assert "note 2<" not in first and 'rel="next"' in first
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    second = client.get(following).get_data(as_text=True)
    assert all(f"note {n}<" in second for n in (2, 1, 0))
    assert second.count('class="card notification unread"') == 2, "note 0 was read"


def test_marking_one_read_by_plain_form_redirects_back(app, client, member):
    first = send(app, member.id)
    send(app, member.id)
    token = csrf_token(client.get("/notifications"))
    response = client.post(f"/notifications/{first}/read", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/notifications"
    assert [bool(n.read_at) for n in notifications(app, member.id)] == [True, False]
    assert '<span class="badge">1</span>' in client.get("/").get_data(as_text=True)


def test_marking_all_read_with_htmx_returns_the_list_and_the_bell(app, client, member):
    send(app, member.id)
    send(app, member.id)
    token = csrf_token(client.get("/notifications"))
    response = client.post(
        "/notifications/read", data={}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    body = response.get_data(as_text=True)
    assert body.startswith('<section id="notification-list">') and "<html" not in body
    assert 'id="notification-bell"' in body and 'hx-swap-oob="true"' in body
    assert 'class="badge">' not in body.split('id="notification-bell"')[1]
    assert all(n.read_at for n in notifications(app, member.id))


def test_member_cannot_mark_or_open_another_members_notification(app, client, member, make_user):
    other = make_user()
    theirs = send(app, other.id)
    token = csrf_token(client.get("/notifications"))
    client.post(f"/notifications/{theirs}/read", data={"csrf_token": token})
    assert client.post(f"/notifications/{theirs}/open", data={"csrf_token": token}).status_code == 404
    assert notifications(app, other.id)[0].read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(app, client, member):
    notification_id = send(app, member.id, url="/t/9?page=2#post-4")
    token = csrf_token(client.get("/notifications"))
    response = client.post(f"/notifications/{notification_id}/open", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/t/9?page=2#post-4"
    assert notifications(app, member.id)[0].read_at is not None


def test_reading_pages_and_polling_marks_nothing_read(app, client, member):
    notification_id = send(app, member.id)
    for url in ("/", "/notifications", "/notifications/count", "/account/notifications"):
        assert client.get(url).status_code == 200
    assert client.get(f"/notifications/{notification_id}/open").status_code == 405
    assert notifications(app, member.id)[0].read_at is None


def test_visitor_is_sent_to_log_in_from_notification_pages(client):
    for url in ("/notifications", "/account/notifications"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location


def test_member_chooses_channels_and_digest_frequency(app, client, member):
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'aria-current="page">Notifications</a>' in page
    assert re.search(r'<option selected value="in_app">|<option value="in_app" selected', page)
    data = {
        "csrf_token": csrf_token(client.get("/account/notifications")),
        "channel-reply": "email", "channel-mention": "off", "channel-account": "email",
        "digest": "daily",
    }
    response = client.post("/account/notifications", data=data)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).digest == "daily"
        chosen = dict(db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.channel)).all())
    assert chosen == {"reply": "email", "mention": "off"}, "unchanged defaults are not stored"
    assert "Your notification settings are saved." in client.get("/account/notifications").get_data(as_text=True)


def test_unknown_choice_is_shown_beside_its_field(app, client, member):
    data = {
        "csrf_token": csrf_token(client.get("/account/notifications")),
        "channel-reply": "carrier-pigeon", "channel-mention": "digest", "channel-account": "email",
        "digest": "hourly",
    }
    response = client.post("/account/notifications", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="channel-reply-errors"><li>Not a valid choice', page)
    assert re.search(r'id="digest-errors"><li>Not a valid choice', page)
    with app.app_context():
        assert db.session.get(User, member.id).digest == "weekly"


def test_admin_reads_sent_email_in_the_outbox(app, client, auth, make_user):
    member = make_user(email="reader@example.com")
    send(app, member.id, kind="account", text="Password changed", url="/account")
    auth.login(make_user(role="admin").email)
    listing = client.get("/admin/outbox").get_data(as_text=True)
    assert "reader@example.com" in listing and "[KPay Community] Password changed" in listing
    with app.app_context():
        message_id = db.session.scalar(sa.select(EmailMessage.id))
    message = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert "List-Unsubscribe" in message and "Hello User" in message


def test_members_and_visitors_cannot_read_the_outbox(app, client, auth, make_user):
    assert "/login" in client.get("/admin/outbox").location
    auth.login(make_user().email)
    assert client.get("/admin/outbox").status_code == 403
    assert client.get("/admin/outbox/1").status_code == 403


def test_notify_is_exported_from_the_package():
    import kpay
    from kpay.notifications.service import notify as service_notify

    assert kpay.notify is notify is service_notify


def test_bell_counts_up_to_99_and_shows_99_plus_beyond(app, client, member):
    with app.app_context():
        db.session.execute(sa.insert(Notification), [
            {"user_id": member.id, "kind": "test", "channel": "in_app", "text": f"n{n}", "url": "/"} for n in range(120)])
        db.session.commit()
    bell = client.get("/notifications/count").get_data(as_text=True)
    assert '<span class="badge">99+</span>' in bell and "Notifications: 99+ unread" in bell


def test_notification_is_shown_in_the_language_the_member_reads_now(app, client, member):
    from flask_babel import lazy_gettext

    send(app, member.id, text=lazy_gettext("%(name)s replied in %(title)s", name="Ann", title="Pricing"))
    send(app, member.id, text="Written before messages were kept")
    assert "Ann replied in Pricing" in client.get("/notifications").get_data(as_text=True)
    client.post("/language", data={"locale": "zh_CN", "csrf_token": csrf_token(client.get("/"))})
    page = client.get("/notifications").get_data(as_text=True)
    assert "Ann 回复了《Pricing》" in page and "Ann replied" not in page
    assert "Written before messages were kept" in page, "a plain-text row is shown as written"


def test_stored_message_that_no_longer_fits_falls_back_to_its_text(app, member):
    from flask_babel import lazy_gettext

    send(app, member.id, text=lazy_gettext("%(name)s replied in %(title)s", name="Ann", title="Pricing"))
    with app.test_request_context():
        [row] = db.session.scalars(sa.select(Notification)).all()
        row.message = {**row.message, "params": {"name": "Ann"}}  # a parameter went missing
        assert row.shown_text == "Ann replied in Pricing"
