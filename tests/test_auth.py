"""Sign-up, log-in and log-out as a member sees them, and sessions that end when they should."""

import re
from http.cookies import SimpleCookie

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import User
from tests.conftest import PASSWORD, csrf_token

HTTPS = "https://localhost"


def sign_up(client, **fields):
    data = {"email": "new@example.com", "display_name": "New Member", "password": PASSWORD, **fields}
    data["csrf_token"] = csrf_token(client.get("/signup"))
    return client.post("/signup", data=data)


def field_errors(response, field: str) -> str:
    """The error list shown beside ``field`` ("" when none)."""
    pattern = rf'<ul class="errors" id="{field}-errors">(.*?)</ul>'
    match = re.search(pattern, response.get_data(as_text=True), re.S)
    return match.group(1) if match else ""


def set_cookies(response) -> dict[str, SimpleCookie]:
    """The response's Set-Cookie headers, by cookie name."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie(header)
        cookies.update({name: cookie for name in cookie})
    return cookies


def is_signed_in(client) -> bool:
    return b"Welcome back" in client.get("/").data


def set_status(app, user, status):
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == user.id).values(status=status))
        db.session.commit()


def test_visitor_signs_up_logged_in_and_logs_in_again_later(client, auth):
    response = sign_up(client)
    assert response.status_code == 302
    assert "Welcome back, New Member" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert auth.login("new@example.com").status_code == 302
    assert "Welcome back, New Member" in client.get("/").get_data(as_text=True)


def test_sign_up_shows_each_mistake_beside_its_field(client):
    response = sign_up(client, email="not-an-address", display_name="", password="short")
    assert response.status_code == 422
    assert field_errors(response, "email")
    assert field_errors(response, "display_name")
    assert "10" in field_errors(response, "password")
    assert 'value="not-an-address"' in response.get_data(as_text=True)


def test_sign_up_with_a_taken_address_looks_like_any_sign_up(client, make_user):
    """S13: the page does not tell; the address's owner is told by e-mail (tests/test_signup.py)."""
    make_user(email="taken@example.com")
    response = sign_up(client, email="Taken@Example.com ")
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    assert not field_errors(response, "email")


def test_wrong_password_is_refused_with_a_message(client, auth, make_user):
    member = make_user()
    response = auth.login(member.email, password="wrong password!")
    assert response.status_code == 422
    assert "do not match an active account" in field_errors(response, "password")
    assert not is_signed_in(client)


def test_member_logs_in_and_out(client, auth, make_user):
    member = make_user(name="Ada")
    assert auth.login(member.email).status_code == 302
    assert is_signed_in(client)
    assert auth.logout().status_code == 302
    assert not is_signed_in(client)


def test_log_in_starts_a_fresh_session(app, client, auth, make_user):
    """S14: nothing planted in the session before log-in survives it, nor does the old cookie."""
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        old_token = session["csrf_token"]
    before = client.get_cookie("session").value
    auth.login(make_user().email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != old_token
    replay = app.test_client()
    replay.set_cookie("session", before)
    assert not is_signed_in(replay)


def test_copied_cookies_stop_working_after_log_out(app, client, auth, make_user):
    """S15: log-out ends the session on the server, for the session and remember cookies."""
    auth.login(make_user().email, remember=True)
    stolen = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
    auth.logout()
    for name, value in stolen.items():
        replay = app.test_client()
        replay.set_cookie(name, value)
        assert not is_signed_in(replay), name


def test_disabled_member_is_anonymous_on_next_request(app, client, auth, make_user):
    """S17: disabling takes effect at once, for pages and htmx partials."""
    owner = make_user(role="owner")
    auth.login(owner.email)
    assert client.get("/admin/plugins", headers={"HX-Request": "true"}).status_code == 200
    set_status(app, owner, "disabled")
    assert not is_signed_in(client)
    partial = client.get("/admin/plugins", headers={"HX-Request": "true"})
    assert partial.headers["HX-Redirect"].startswith("/login")
    assert b"Plugin" not in partial.data


def test_disabled_member_cannot_log_in(app, client, auth, make_user):
    member = make_user()
    set_status(app, member, "disabled")
    assert auth.login(member.email).status_code == 422
    assert not is_signed_in(client)


def test_remember_me_cookie_is_http_only_and_same_site(client, auth, make_user):
    response = auth.login(make_user().email, remember=True)
    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        morsel = cookies[name][name]
        assert morsel["httponly"] and morsel["samesite"] == "Lax", name


def test_production_cookies_are_secure(make_app, make_user, monkeypatch):
    """S5: over https in production every auth cookie is Secure, HttpOnly and SameSite=Lax."""
    monkeypatch.setenv("KPAY_SECRET_KEY", "s" * 40)
    app = make_app({"env": "production"})
    client = app.test_client()
    member = make_user()
    token = csrf_token(client.get("/login", base_url=HTTPS))
    response = client.post(
        "/login", base_url=HTTPS, headers={"Referer": f"{HTTPS}/login"},
        data={"email": member.email, "password": PASSWORD, "remember": "y", "csrf_token": token},
    )
    assert response.status_code == 302
    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        morsel = cookies[name][name]
        assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Lax", name


def test_log_out_deletes_the_remember_cookie_with_its_secure_attributes(make_app, make_user, monkeypatch):
    """S16 (flask-login#683): the deletion carries Secure and SameSite, or a browser keeps it."""
    monkeypatch.setenv("KPAY_SECRET_KEY", "s" * 40)
    client = make_app({"env": "production"}).test_client()
    headers = {"Referer": f"{HTTPS}/login"}
    token = csrf_token(client.get("/login", base_url=HTTPS))
    client.post(
        "/login", base_url=HTTPS, headers=headers,
        data={"email": make_user().email, "password": PASSWORD, "remember": "y", "csrf_token": token},
    )
    token = csrf_token(client.get("/", base_url=HTTPS))
    response = client.post("/logout", base_url=HTTPS, headers=headers, data={"csrf_token": token})
    deletions = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert len(deletions) == 1
    morsel = SimpleCookie(deletions[0])["remember_token"]
    assert morsel.value == "" and "1970" in morsel["expires"]
    assert morsel["secure"] and morsel["httponly"] and morsel["samesite"] == "Lax"
    assert client.get_cookie("remember_token", domain="localhost") is None


def test_an_unknown_address_costs_a_password_check_like_a_known_one(client, auth, make_user, monkeypatch):
    """S13: a log-in for an address nobody has still checks a password hash, so its answer
    takes as long as a wrong password for a real member and tells nothing."""
    import kpay.models.users as users

    checked = []
    real_check = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash", lambda *a: checked.append(1) or real_check(*a))
    member = make_user()
    known = auth.login(member.email, password="wrong password!")
    unknown = auth.login("nobody@example.com", password="wrong password!")
    assert checked == [1, 1]
    assert known.status_code == unknown.status_code == 422
    assert field_errors(known, "password") == field_errors(unknown, "password")
