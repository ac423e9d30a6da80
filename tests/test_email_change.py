"""Changing the e-mail address: confirmed at the new address, announced at the old one."""

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import AuditEntry, User
from tests.conftest import PASSWORD, csrf_token
from tests.mailbox import last_link, messages, text
from tests.test_auth import field_errors


def ask_to_change(client, new_email: str, password: str = PASSWORD):
    page = client.get("/account/security")
    data = {"new_email": new_email, "current_password": password, "csrf_token": csrf_token(page)}
    return client.post("/account/email", data=data)


def email_of(app, user) -> str:
    with app.app_context():
        return db.session.get(User, user.id).email


def test_member_changes_address_after_confirming_at_the_new_one(app, client, auth, make_user):
    member = make_user(email="old@example.com")
    auth.login(member.email)
    response = ask_to_change(client, "New@Example.com")
    assert response.status_code == 200 and b"new@example.com" in response.data
    link = last_link(app, "new@example.com")
    page = client.get(link)
    assert page.status_code == 200
    assert email_of(app, member) == "old@example.com", "a GET (a link scanner) changes nothing"
    assert client.post(link, data={"csrf_token": csrf_token(page)}).status_code == 302
    assert email_of(app, member) == "new@example.com"
    [notice] = messages(app, "old@example.com")
    assert "new@example.com" in text(notice)
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "auth.email_changed"))
        assert (entry.before, entry.after) == ({"email": "old@example.com"}, {"email": "new@example.com"})
        assert db.session.get(User, member.id).email_confirmed_at is not None
    assert client.post(link, data={"csrf_token": csrf_token(page)}).status_code == 400, "works once"


def test_wrong_current_password_is_shown_beside_the_field(client, auth, make_user):
    auth.login(make_user().email)
    response = ask_to_change(client, "new@example.com", password="not my password")
    assert response.status_code == 422
    assert "not your current password" in field_errors(response, "email_current_password")


def test_a_taken_address_is_not_revealed_and_its_owner_is_told(app, client, auth, make_user):
    make_user(email="taken@example.com")
    member = make_user()
    auth.login(member.email)
    taken = ask_to_change(client, "taken@example.com")
    free = ask_to_change(client, "free@example.com")
    assert taken.status_code == free.status_code == 200
    [warning] = messages(app, "taken@example.com")
    assert "/reset" in text(warning)


def test_an_email_change_link_cannot_reset_a_password(app, client, auth, make_user):
    auth.login(make_user().email)
    ask_to_change(client, "new@example.com")
    token = last_link(app, "new@example.com").rsplit("/", 1)[1]
    assert client.get(f"/reset/{token}").status_code == 400
    assert client.get(f"/confirm/{token}").status_code == 400


def test_remember_me_alone_must_confirm_the_password_first(app, client, auth, make_user):
    """S16: a session restored from the remember-me cookie is not fresh."""
    member = make_user()
    auth.login(member.email, remember=True)
    browser = app.test_client()
    browser.set_cookie("remember_token", client.get_cookie("remember_token").value)
    token = csrf_token(browser.get("/"))
    response = browser.post("/account/email", data={"csrf_token": token, "new_email": "x@example.com"})
    assert response.status_code == 302 and response.location.startswith("/reauth")
    assert browser.get("/account/security").location.startswith("/reauth?next=/account/security")
    page = browser.get("/reauth?next=/account/security")
    wrong = browser.post("/reauth", data={"password": "nope", "next": "/account/security", "csrf_token": csrf_token(page)})
    assert wrong.status_code == 422
    right = browser.post("/reauth", data={"password": PASSWORD, "next": "/account/security", "csrf_token": csrf_token(page)})
    assert right.location == "/account/security"
    assert browser.get("/account/security").status_code == 200


def test_email_changes_are_limited_per_member(client, auth, make_user):
    auth.login(make_user().email)
    codes = [ask_to_change(client, f"n{i}@example.com").status_code for i in range(6)]
    assert codes == [200] * 5 + [429]
