"""Anyone reads a member's public profile at /u/<id>: what the member chose to show, nothing private."""

from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from markupsafe import escape

from kpay.extensions import db
from kpay.models import User
from tests.conftest import Auth, csrf_token

CANARY_EMAIL = "canary-7f3a9c@example.com"
XSS_NAME = '"><img src=x onerror=alert(1)>'
XSS_BIO = "\n\n".join([
    XSS_NAME,
    '<a hx-get="/account/avatar/remove" hx-trigger="load">gadget</a>',
    "[click me](javascript:alert(1))",
    "<script>alert(2)</script>",
])
XSS_INTERESTS = [XSS_NAME, "javascript:alert(1)", '<a hx-post="/logout">x</a>'[:30]]


def update(app, member, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == member.id).values(**values))
        db.session.commit()


@pytest.fixture
def ana(app, make_user):
    """Ana, a member who has written her profile; her e-mail address is a canary."""
    member = make_user(email=CANARY_EMAIL, name="Ana Souza")
    update(app, member, bio="I teach **pottery**.", interests=["ceramics", "陶艺"])
    return member


def test_visitor_reads_a_members_name_bio_interests_and_join_date(client, ana):
    response = client.get(f"/u/{ana.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Ana Souza</h1>" in page
    assert '<div class="user-content" hx-disable><p>I teach <strong>pottery</strong>.</p>' in page
    assert "<li>ceramics</li>" in page and "<li>陶艺</li>" in page
    assert "Member since" in page
    assert ">AS</span>" in page


def test_profile_never_shows_the_email_address_or_other_private_fields(app, client, ana, make_user):
    update(app, ana, status_reason="canary-reason-51d2")
    with app.app_context():
        password_hash = db.session.get(User, ana.id).password_hash
    readers = {"visitor": client, "member": app.test_client()}
    Auth(readers["member"]).login(make_user(name="Curious Cai").email)
    for who, reader in readers.items():
        page = reader.get(f"/u/{ana.id}").get_data(as_text=True)
        for secret in ("canary-7f3a9c", "canary-reason-51d2", password_hash, "weekly"):
            assert secret not in page, (who, secret)


def test_member_sees_a_link_to_edit_only_on_their_own_profile(client, auth, ana, make_user):
    auth.login(ana.email)
    assert "Edit my profile" in client.get(f"/u/{ana.id}").get_data(as_text=True)
    other = make_user(name="Ben")
    assert "Edit my profile" not in client.get(f"/u/{other.id}").get_data(as_text=True)


@pytest.mark.parametrize("status", ["disabled", "banned"])
def test_disabled_or_banned_member_has_no_profile(app, client, ana, status):
    update(app, ana, status=status)
    assert client.get(f"/u/{ana.id}").status_code == 404


def test_unknown_member_has_no_profile(client):
    assert client.get("/u/424242").status_code == 404
    assert client.get("/u/not-a-number").status_code == 404


def test_new_members_on_the_home_page_link_to_their_profiles(client, ana):
    page = client.get("/").get_data(as_text=True)
    assert f'<a href="/u/{ana.id}">' in page
    assert "Ana Souza</a>" in page


@pytest.fixture
def mallory(app, make_user):
    """Mallory, whose name, bio and interests are attacks, written through the settings form."""
    member = make_user(email="mallory@example.com", name="Mallory")
    client = app.test_client()
    Auth(client).login(member.email)
    data = {
        "csrf_token": csrf_token(client.get("/account/profile")),
        "display_name": XSS_NAME, "bio": XSS_BIO, "interests": ", ".join(XSS_INTERESTS),
        "locale": "en", "timezone": "UTC",
    }
    assert client.post("/account/profile", data=data).status_code == 302
    return member, client


class Elements(HTMLParser):
    """Every start tag of a page, with its attributes, as a browser's parser would see them."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(where: str, body: str) -> None:
    """No payload in ``body`` became markup: no injected tag, htmx request or script URL."""
    for tag, attrs in Elements(body).tags:
        assert tag != "img" or attrs.get("src") != "x", where
        assert tag != "script" or attrs.get("src"), where
        assert not any(name.startswith("on") for name in attrs), (where, tag, attrs)
        assert attrs.get("hx-get") != "/account/avatar/remove" and attrs.get("hx-post") != "/logout", where
        assert not (attrs.get("href") or "").lower().startswith("javascript:"), where


def test_hostile_profile_renders_inert_everywhere(app, client, mallory):
    member, own = mallory
    pages = {
        "public profile to a visitor": client.get(f"/u/{member.id}"),
        "public profile to its owner": own.get(f"/u/{member.id}"),
        "settings page": own.get("/account/profile"),
        "home to a visitor": client.get("/"),
        "home to its owner": own.get("/"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        body = response.get_data(as_text=True)
        assert_inert(where, body)
        assert str(escape(XSS_NAME)) in body, where
    profile = pages["public profile to a visitor"].get_data(as_text=True)
    assert "<li>javascript:alert(1)</li>" in profile


def test_hostile_bio_preview_is_inert(mallory):
    _member, own = mallory
    token = csrf_token(own.get("/account/profile"))
    response = own.post(
        "/account/profile/preview", data={"csrf_token": token, "bio": XSS_BIO}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert_inert("preview", body)
    assert "hx-disable" in body
