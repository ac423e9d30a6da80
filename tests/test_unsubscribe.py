"""Every notification e-mail can be stopped in one click, without logging in (RFC 8058 too)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import NotificationPreference, User
from kpay.notifications.service import unsubscribe_token
from tests.notification_helpers import SITE, app, send  # noqa: F401 (fixture)
from tests.test_mail import outbox


def channel(app, user_id, kind):
    with app.app_context():
        return db.session.scalar(sa.select(NotificationPreference.channel).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind))


def unsubscribe_path(message) -> str:
    """The path in the message's List-Unsubscribe header, checked against the body's link."""
    url = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"]).group(1)
    assert url.startswith(f"{SITE}/unsubscribe/")
    assert url in message.get_payload(decode=True).decode()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return url.removeprefix(SITE)


def test_link_asks_first_then_one_button_stops_that_kind(app, client, make_user):
    member = make_user()
    send(app, member.id, kind="account", text="New log-in")
    path = unsubscribe_path(outbox(app)[0])
    page = client.get(path)
    assert page.status_code == 200
    assert "Stop e-mails about: Account and security?" in page.get_data(as_text=True)
    assert channel(app, member.id, "account") is None, "opening the link changes nothing"
    done = client.post(path)
    assert done.status_code == 200 and "no longer receive" in done.get_data(as_text=True)
    assert channel(app, member.id, "account") == "in_app", "still shown on the site"
    send(app, member.id, kind="account", text="Another log-in")
    assert len(outbox(app)) == 1


def test_mail_providers_one_click_post_needs_no_csrf_token_or_log_in(app, client, make_user):
    member = make_user()
    send(app, member.id, kind="account")
    response = client.post(unsubscribe_path(outbox(app)[0]), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert channel(app, member.id, "account") == "in_app"


def test_digest_link_turns_the_digest_off_only(app, client, make_user):
    member = make_user()
    with app.test_request_context():
        path = f"/unsubscribe/{unsubscribe_token(member.id, 'digest')}"
    assert "Stop the e-mail digest?" in client.get(path).get_data(as_text=True)
    client.post(path)
    with app.app_context():
        assert db.session.get(User, member.id).digest == "off"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationPreference)) == 0


def test_unsubscribing_leaves_a_kind_that_is_off_alone(app, client, make_user):
    member = make_user()
    with app.app_context():
        db.session.add(NotificationPreference(user_id=member.id, kind="reply", channel="off"))
        db.session.commit()
        path = f"/unsubscribe/{unsubscribe_token(member.id, 'reply')}"
    client.post(path)
    assert channel(app, member.id, "reply") == "off"


def test_forged_or_altered_token_is_refused(app, client, make_user):
    member, victim = make_user(), make_user()
    with app.app_context():
        token = unsubscribe_token(member.id, "account")
    payload, signature = token.split(".")
    forged = f"{payload.replace(payload[2], 'A' if payload[2] != 'A' else 'B')}.{signature}"
    for bad in (forged, "nonsense", f"{payload}.", token[:-2]):
        response = client.post(f"/unsubscribe/{bad}")
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)
    assert channel(app, victim.id, "account") is None
    assert channel(app, member.id, "account") is None


def test_token_from_another_site_key_is_refused(app, make_app, make_user):
    member = make_user()
    other = make_app({"site_url": SITE})
    other.secret_key = "another site"
    with other.app_context():
        token = unsubscribe_token(member.id, "account")
    assert app.test_client().post(f"/unsubscribe/{token}").status_code == 400
