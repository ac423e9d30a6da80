"""S31: ``next`` and other redirect targets never leave this site."""

import re
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpay.security import safe_next
from tests.conftest import csrf_token

SITE = "https://kpay.example/"
OFF_SITE = [
    "//evil.example", "/%09/evil.example", "https:evil.example", "/\\evil", "%2F%2Fevil",
    "http://evil", "javascript:alert(1)", "\\\\evil.example", "/\t/evil.example", "/%5Cevil",
    "%252F%252Fevil", " //evil.example", "https://kpay.example@evil.example", "/\r\n/evil",
    "///evil.example", "data:text/html,x", "//[", "/%2F[::1",
]


def browser_target(location: str) -> str:
    """Where a browser goes: it drops tabs and newlines, reads ``\\`` as ``/`` and decodes."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip()
    return urljoin(SITE, unquote(cleaned).replace("\\", "/"))


def on_site(location: str) -> bool:
    parts = urlsplit(browser_target(location))
    return (parts.scheme, parts.netloc) == ("https", "kpay.example")


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_targets_fall_back_to_home(target):
    assert safe_next(target, "/") == "/"


@pytest.mark.parametrize("target", ["/", "/admin/jobs?page=2", "/courses/1#lesson-3", "/search?q=a%2Fb"])
def test_paths_on_this_site_are_kept(target):
    assert safe_next(target) == target


url_parts = st.sampled_from(
    ["/", "//", "\\", "%2F", "%5C", "%09", "%25", "\t", "\n", " ", ":", "@", ".", "?", "#",
     "http", "https", "javascript", "evil.example", "kpay.example", "%252F", "\x00", "\u3002"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(url_parts, st.text(max_size=3)), max_size=10).map("".join))
def test_whatever_next_says_the_result_stays_on_site(target):
    assert on_site(safe_next(target))


def test_log_in_with_off_site_next_lands_on_this_site(auth, make_user):
    member = make_user()
    for target in OFF_SITE[:7]:  # one member, in and out: the limiter allows 10 a minute
        response = auth.login(member.email, next=target)
        assert response.status_code == 302, target
        assert on_site(response.headers["Location"]), target
        auth.logout()


def test_log_in_follows_a_path_on_this_site(client, auth, make_user):
    response = auth.login(make_user().email, next="/admin/jobs?page=2")
    assert response.headers["Location"] == "/admin/jobs?page=2"


def test_language_switch_ignores_off_site_next(client):
    token = csrf_token(client.get("/"))
    response = client.post("/language", data={"locale": "en", "next": "//evil.example", "csrf_token": token})
    assert response.headers["Location"] == "/"

