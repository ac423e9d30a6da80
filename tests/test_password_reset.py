"""Password reset: an e-mailed link that works once, within an hour, for any address alike."""

import re
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from kpay.extensions import db
from kpay.models import AuditEntry, EmailMessage
from tests.conftest import PASSWORD, csrf_token
from tests.mailbox import last_link, messages
from tests.test_auth import field_errors, is_signed_in

NEW_PASSWORD = "a new and long passphrase"


def ask_for_link(client, email: str):
    token = csrf_token(client.get("/reset"))
    return client.post("/reset", data={"email": email, "csrf_token": token})


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    page = client.get(link)
    return client.post(link, data={"password": password, "csrf_token": csrf_token(page)})


def test_member_resets_password_through_the_emailed_link(app, client, auth, make_user):
    member = make_user()
    auth.login(member.email, remember=True)
    stolen = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
    other = app.test_client()
    assert ask_for_link(other, member.email).status_code == 200
    link = last_link(app, member.email)
    assert choose_password(other, link).status_code == 302
    for name, value in stolen.items():
        replay = app.test_client()
        replay.set_cookie(name, value)
        assert not is_signed_in(replay), f"{name} still works after the reset"
    assert auth.login(member.email).status_code == 422
    assert auth.login(member.email, password=NEW_PASSWORD).status_code == 302
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.password_reset"))
        assert entry.actor_id == member.id and entry.before == {} and entry.after == {}


def test_a_used_link_says_so_and_offers_a_new_one(app, client, make_user):
    member = make_user()
    ask_for_link(client, member.email)
    link = last_link(app, member.email)
    choose_password(client, link)
    again = client.get(link)
    assert again.status_code == 400
    assert b"already been used" in again.data and b'href="/reset"' in again.data
    assert choose_password(client, link, "yet another long one").status_code == 400


def test_a_link_expires_after_an_hour(app, client, make_user):
    member = make_user()
    ask_for_link(client, member.email)
    link = last_link(app, member.email)
    with time_machine.travel(timedelta(minutes=59), tick=False):
        assert client.get(link).status_code == 200
    with time_machine.travel(timedelta(minutes=61), tick=False):
        page = client.get(link)
        assert page.status_code == 400 and b"expired" in page.data


def test_a_weak_new_password_is_explained_beside_the_field(app, client, make_user):
    member = make_user()
    ask_for_link(client, member.email)
    response = choose_password(client, last_link(app, member.email), "qwertyuiop")
    assert response.status_code == 422
    assert "most common" in field_errors(response, "password")


def test_known_and_unknown_addresses_get_the_same_answer(app, client, make_user):
    """S13: the page is the same; only a registered address gets an e-mail."""
    make_user(email="known@example.com")
    known = ask_for_link(client, "known@example.com")
    unknown = ask_for_link(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200

    def shape(response):
        body = re.sub(r'(content|value)="[^"]+"', "", response.get_data(as_text=True))
        return body.replace("known@example.com", "X").replace("nobody@example.com", "X")

    assert shape(known) == shape(unknown)
    assert len(messages(app, "known@example.com")) == 1
    assert messages(app, "nobody@example.com") == []


def test_a_reset_link_cannot_change_an_email_address(app, client, make_user):
    """S38: tokens are bound to their purpose."""
    member = make_user()
    ask_for_link(client, member.email)
    token = last_link(app, member.email).rsplit("/", 1)[1]
    page = client.get(f"/account/email/{token}")
    assert page.status_code == 400 and b"not valid" in page.data


def test_reset_requests_are_limited_per_address(client, make_user):
    member = make_user()
    codes = [ask_for_link(client, member.email).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert int(ask_for_link(client, member.email).headers["Retry-After"]) > 0


def test_setting_passwords_through_one_link_is_limited(app, client, auth, make_user):
    member = make_user()
    ask_for_link(client, member.email)
    link = last_link(app, member.email)
    codes = [choose_password(client, link, "qwertyuiop").status_code for _ in range(6)]
    assert codes == [422] * 5 + [429]
    assert auth.login(member.email, password=PASSWORD).status_code == 302, "password unchanged"


def test_admin_reading_the_outbox_never_sees_a_reset_link(app, client, auth, make_user):
    """An admin could otherwise take over the owner's account from /admin/outbox."""
    owner = make_user(role="owner")
    ask_for_link(app.test_client(), owner.email)
    link = last_link(app, owner.email)
    auth.login(make_user(role="admin").email)
    with app.app_context():
        message_id = db.session.scalar(
            sa.select(EmailMessage.id).where(EmailMessage.to_address == owner.email)
        )
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert owner.email in page
    assert link not in page
    assert "personal link" in page


def statements_of(app, send) -> list[str]:
    """The SQL statements (their verbs and tables) that ``send()`` makes the app run."""
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()[:4]))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        response = send()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return response, seen


def test_asking_for_a_link_does_the_same_work_for_known_and_unknown_addresses(app, client, make_user):
    """S13: no lookup, token or e-mail while the request is answered; the job does them."""
    member = make_user()
    known, for_known = statements_of(app, lambda: ask_for_link(client, member.email))
    unknown, for_unknown = statements_of(app, lambda: ask_for_link(client, "nobody@example.com"))
    assert known.status_code == unknown.status_code == 200
    assert for_known == for_unknown
    assert known.get_data(as_text=True).replace(member.email, "@") == unknown.get_data(as_text=True).replace(
        "nobody@example.com", "@")
    known.close()
    unknown.close()
    assert len(messages(app, member.email)) == 1
    assert messages(app, "nobody@example.com") == []
