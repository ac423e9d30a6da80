"""Sessions that end when they should (S14–S17), log-in details (S11, S31, S40), cookie flags (S5)."""

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from kpay.extensions import db
from kpay.models import AuditEntry, User
from tests.conftest import PASSWORD, Auth, csrf_token
from tests.test_auth import is_signed_in, set_cookies

NEW_PASSWORD = "a new and long passphrase"


def steal(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")}


def assert_replays_are_anonymous(app, stolen: dict[str, str]) -> None:
    for name, value in stolen.items():
        replay = app.test_client()
        replay.set_cookie(name, value)
        assert not is_signed_in(replay), f"the copied {name} cookie still works"


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    page = client.get("/account/security")
    data = {"current_password": current, "new_password": new, "csrf_token": csrf_token(page)}
    return client.post("/account/password", data=data)


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, auth, make_user):
    member = make_user()
    laptop = app.test_client()
    auth.login(member.email, remember=True)
    Auth(laptop).login(member.email, remember=True)
    stolen = steal(laptop)
    response = change_password(client)
    assert response.status_code == 302
    assert is_signed_in(client), "the member stays logged in where they changed it"
    assert not is_signed_in(laptop)
    assert_replays_are_anonymous(app, stolen)
    remembered = app.test_client()
    remembered.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert is_signed_in(remembered), "this device's remember-me cookie was renewed"
    assert actions(app).count("auth.password_changed") == 1


def test_password_change_asks_for_the_current_password_and_a_good_new_one(client, auth, make_user):
    auth.login(make_user().email)
    wrong = change_password(client, current="not it at all")
    assert wrong.status_code == 422 and b"not your current password" in wrong.data
    weak = change_password(client, new="1234567890")
    assert weak.status_code == 422 and b"most common" in weak.data


def test_log_out_everywhere_else(app, client, auth, make_user):
    member = make_user()
    phone = app.test_client()
    Auth(phone).login(member.email, remember=True)
    stolen = steal(phone)
    auth.login(member.email)
    page = client.get("/account/security")
    response = client.post("/account/sessions", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert is_signed_in(client)
    assert_replays_are_anonymous(app, stolen)
    assert actions(app).count("auth.sessions_ended") == 1


def test_log_out_everywhere_needs_a_post_with_csrf(client, auth, make_user):
    auth.login(make_user().email)
    assert client.get("/account/sessions").status_code == 405
    assert client.post("/account/sessions").status_code == 400


def test_legacy_pbkdf2_hash_is_upgraded_on_log_in(app, auth, make_user):
    """S11: a hash with outdated parameters becomes a current scrypt hash."""
    member = make_user()
    with app.app_context():
        legacy = generate_password_hash(PASSWORD, method="pbkdf2:sha256:260000")
        db.session.execute(sa.update(User).where(User.id == member.id).values(password_hash=legacy))
        db.session.commit()
    assert auth.login(member.email).status_code == 302
    with app.app_context():
        user = db.session.get(User, member.id)
        assert user.password_hash.startswith("scrypt:")
        assert user.check_password(PASSWORD)
        assert user.last_login_at is not None


def test_log_in_and_failures_are_audited_without_the_password(app, auth, make_user):
    member = make_user()
    auth.login(" Someone@Example.com", password="guess-password-1")
    auth.login(member.email)
    with app.app_context():
        failed, login = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert (failed.action, failed.after) == ("auth.login_failed", {"email": "someone@example.com"})
    assert "guess-password-1" not in str(failed.before) + str(failed.after)
    assert (login.action, login.actor_id) == ("auth.login", member.id)


@pytest.mark.parametrize("target", ["//evil.example", "/%09/evil.example", "https:evil.example",
                                    "https://evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(auth, make_user, target):
    response = auth.login(make_user().email, next=target)
    assert response.status_code == 302 and response.location == "/"


def test_next_leads_to_a_page_on_the_site(auth, make_user):
    assert auth.login(make_user().email, next="/account/security?x=1").location == "/account/security?x=1"


def test_cookies_are_secure_when_the_site_says_it_uses_https(make_app, make_user):
    app = make_app({"https": True})
    client = app.test_client()
    member = make_user()
    base = "https://localhost"
    token = csrf_token(client.get("/login", base_url=base))
    response = client.post(
        "/login", base_url=base, headers={"Referer": f"{base}/login"},
        data={"email": member.email, "password": PASSWORD, "remember": "y", "csrf_token": token},
    )
    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        morsel = cookies[name][name]
        assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Lax", name


def test_log_out_clears_the_remember_cookie(client, auth, make_user):
    auth.login(make_user().email, remember=True)
    response = auth.logout()
    morsel = set_cookies(response)["remember_token"]["remember_token"]
    assert morsel.value == "" and morsel["expires"]
