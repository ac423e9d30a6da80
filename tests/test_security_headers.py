"""S6: security headers on every kind of response: page, partial, errors, files."""

import pytest

from tests.conftest import Auth

HTTPS = "https://localhost"


@pytest.fixture
def owner_client(app, make_user):
    """A client logged in as the owner, with a test-only route that fails."""

    @app.route("/test-only/boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    Auth(client).login(make_user(role="owner").email)
    return client


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in policy.split(";") if d.strip()}


@pytest.mark.parametrize(
    "url, headers, status",
    [
        ("/", {}, 200),
        ("/admin/plugins", {"HX-Request": "true"}, 200),
        ("/no/such/page", {}, 404),
        ("/test-only/boom", {}, 500),
        ("/static/css/kpay.css", {}, 200),
    ],
    ids=["page", "htmx-partial", "404", "500", "static-file"],
)
def test_every_kind_of_response_carries_security_headers(owner_client, url, headers, status):
    response = owner_client.get(url, headers=headers, base_url=HTTPS)
    assert response.status_code == status
    csp = csp_directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert "'self'" in csp["script-src"]
    assert "unsafe-inline" not in csp["script-src"] and "unsafe-eval" not in csp["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    max_age = response.headers["Strict-Transport-Security"].split("max-age=")[1].split(";")[0]
    assert int(max_age) >= 365 * 24 * 3600
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_partial_is_only_the_fragment(owner_client):
    page = owner_client.get("/admin/plugins").get_data(as_text=True)
    partial = owner_client.get("/admin/plugins", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in page and "<html" not in partial


def test_plain_http_gets_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_signed_in_pages_are_not_cached_by_shared_caches(owner_client):
    assert "no-store" in owner_client.get("/").headers["Cache-Control"]
