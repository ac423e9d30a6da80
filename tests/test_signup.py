"""Sign-up: a strong password, logged in at once, a confirmed address when the site asks."""

import pytest
import sqlalchemy as sa

from kpay.accounts import password_problem
from kpay.extensions import db
from kpay.models import User
from tests.conftest import PASSWORD, csrf_token
from tests.mailbox import last_link, messages, text
from tests.test_auth import field_errors, sign_up


def member(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge(user)
        return user


@pytest.mark.parametrize("password", ["qwertyuiop", "1234567890", "1q2w3e4r5t", "QWERTYUIOP"])
def test_common_passwords_are_refused_beside_the_field(client, password):
    response = sign_up(client, password=password)
    assert response.status_code == 422
    assert "most common" in field_errors(response, "password")


def test_the_common_list_ships_ten_thousand_passwords(app):
    from kpay.accounts import _common_passwords

    assert len(_common_passwords()) == 10_000
    with app.test_request_context():
        assert password_problem(PASSWORD) is None
        assert password_problem("x" * 129)


@pytest.fixture
def confirming(make_app):
    """A site that asks new members to confirm their address."""
    return make_app({"require_email_confirmation": True})


def test_new_member_gets_a_confirmation_link_that_a_get_does_not_use(confirming):
    """S38: a link scanner's GET shows a button; only the member's POST confirms."""
    app, client = confirming, confirming.test_client()
    sign_up(client, email="new@example.com")
    [mail] = messages(app, "new@example.com")
    assert "Confirm your e-mail address" in mail["Subject"]
    link = last_link(app, "new@example.com")
    page = client.get(link)
    assert page.status_code == 200 and b"Confirm new@example.com" in page.data
    assert member(app, "new@example.com").email_confirmed_at is None
    confirmed = client.post(link, data={"csrf_token": csrf_token(page)})
    assert confirmed.status_code == 302
    assert member(app, "new@example.com").email_confirmed_at is not None


def test_new_member_is_logged_in_with_the_confirm_banner_when_the_site_asks(confirming):
    app, client = confirming, confirming.test_client()
    response = sign_up(client, email="new@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert b"Welcome back" in home.data and b"unconfirmed-banner" in home.data
    assert member(app, "new@example.com").email_confirmed_at is None
    client.post("/confirm", data={"csrf_token": csrf_token(home), "next": "/"})
    assert len(messages(app, "new@example.com")) == 2, "the banner's button sends a new link"
    link = last_link(app, "new@example.com")
    client.post(link, data={"csrf_token": csrf_token(client.get(link))})
    with app.app_context():
        assert db.session.scalar(sa.select(User)).is_confirmed
    assert b"unconfirmed-banner" not in client.get("/").data


def test_without_the_setting_new_members_are_logged_in_as_confirmed_and_get_no_mail(app, client):
    sign_up(client)
    assert messages(app) == []
    home = client.get("/").get_data(as_text=True)
    assert "Welcome back, New Member" in home and "Your account is ready" in home
    assert "unconfirmed-banner" not in home
    with app.app_context():
        assert db.session.scalar(sa.select(User)).is_confirmed


def test_a_tampered_confirmation_link_gets_a_way_forward(confirming):
    app, client = confirming, confirming.test_client()
    sign_up(client, email="new@example.com")
    link = last_link(app, "new@example.com")
    page = client.get(link[:-3] + "abc")
    assert page.status_code == 400
    assert b"This link is not valid" in page.data and b'href="/login"' in page.data


@pytest.mark.parametrize("required", [False, True])
def test_sign_up_with_a_taken_address_logs_nobody_in_and_tells_the_owner(make_app, make_user, required):
    """The form never opens an account it did not just create; the owner hears by e-mail."""
    app = make_app({"require_email_confirmation": required})
    client = app.test_client()
    make_user(email="known@example.com", name="Known")
    known = sign_up(client, email="known@example.com")
    assert known.status_code == 200 and "already has an account" in known.get_data(as_text=True)
    assert b"Welcome back" not in client.get("/").data
    [warning] = messages(app, "known@example.com")
    assert "Someone tried to sign up" in warning["Subject"]
    assert "/reset" in text(warning) and "/login" in text(warning)
    assert member(app, "known@example.com").display_name == "Known"


@pytest.mark.postgres
def test_two_sign_ups_racing_for_one_address_make_one_account(app, client, monkeypatch):
    """The other sign-up commits between this one's look-up and its insert (PostgreSQL; on
    SQLite sign-ups take the write lock in turn). This one answers as for any taken address."""
    from kpay import accounts

    look_up = accounts.find_by_email

    def other_sign_up_commits_meanwhile(email):
        found = look_up(email)
        monkeypatch.setattr(accounts, "find_by_email", look_up)
        with app.app_context():  # a session of its own, as another request has
            accounts.create_user(email, "Quicker", PASSWORD)
            db.session.commit()
        return found

    monkeypatch.setattr(accounts, "find_by_email", other_sign_up_commits_meanwhile)
    response = sign_up(client, email="race@example.com", display_name="Slower")
    assert response.status_code == 200 and "Check your e-mail" in response.get_data(as_text=True)
    assert member(app, "race@example.com").display_name == "Quicker"
    [warning] = messages(app, "race@example.com")
    assert "Someone tried to sign up" in warning["Subject"]


def test_sign_up_is_limited_per_address(client):
    codes = [sign_up(client, email="target@example.com").status_code for _ in range(4)]
    assert codes == [302, 200, 200, 429], "the first creates the account, the next two find it taken"


def test_emails_go_out_in_the_members_language(app, client, make_user, monkeypatch):
    """The owner of a taken address is written to in their language, not the visitor's."""
    from kpay.auth import views

    locales = []
    real = views.send_email
    monkeypatch.setattr(views, "send_email", lambda *a, locale=None, **k: locales.append(locale) or real(*a, locale=locale, **k))
    owner = make_user(email="known@example.com")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == owner.id).values(locale="zh_CN"))
        db.session.commit()
    sign_up(client, email="known@example.com")
    assert locales == ["zh_CN"]
    assert len(messages(app, "known@example.com")) == 1
