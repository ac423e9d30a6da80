"""S1: every unsafe method needs a CSRF token; exemptions are a reviewed list."""

from pathlib import Path

import pytest
from flask import url_for

from kpay import config
from kpay.extensions import csrf
from tests.conftest import csrf_token

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ALLOW_LIST = Path(__file__).with_name("csrf_exempt.txt")


def reviewed_exemptions() -> set[str]:
    lines = ALLOW_LIST.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def unsafe_routes(app):
    """(method, url) for every unsafe method of every rule, URL parameters filled with 1."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & UNSAFE):
            values = {arg: 1 for arg in rule.arguments}
            with app.test_request_context():
                yield method, url_for(rule.endpoint, **values)


def test_signed_in_owner_without_token_is_refused_on_every_unsafe_route(app, client, auth, make_user):
    owner = make_user(role="owner")
    auth.login(owner.email)
    routes = list(unsafe_routes(app))
    assert ("POST", "/logout") in routes
    refused = {(m, url): client.open(url, method=m).status_code for m, url in routes}
    assert refused == {route: 400 for route in routes}
    assert b"Welcome back" in client.get("/").data, "the refused requests changed nothing"


def test_only_reviewed_views_are_exempt_and_no_blueprint_is(make_app):
    make_app({"plugins": {"enabled": config.default_plugins()}})  # every built-in plugin's views loaded
    assert set(csrf._exempt_views) == reviewed_exemptions()
    assert not csrf._exempt_blueprints


def test_htmx_post_without_token_shows_banner_with_reload_link(client, make_user):
    response = client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#kpay-alerts"
    body = response.get_data(as_text=True)
    assert 'role="alert"' in body and "<html" not in body
    assert "This page has expired" in body
    assert "Reload the page" in body


def test_plain_form_post_without_token_shows_expired_page_in_layout(client):
    response = client.post("/language", data={"locale": "en"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "<html" in body and "This page has expired" in body


@pytest.mark.parametrize("header", ["X-CSRFToken", "X-CSRF-Token"])
def test_htmx_post_with_token_in_header_is_accepted(client, header):
    token = csrf_token(client.get("/"))
    response = client.post("/language", data={"locale": "en"}, headers={header: token, "HX-Request": "true"})
    assert response.status_code == 302
