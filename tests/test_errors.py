"""S39: errors show a generic page, never a traceback or SQL."""

import pytest
import sqlalchemy as sa

from redis import Redis

from kpay.extensions import db
from kpay.hookspecs import hookimpl

SQL_WORDS = ("SELECT", "no_such_table", "sqlalche.me", "psycopg", "sqlite3")


@pytest.fixture
def failing_app(app):
    """The app with test-only routes that raise a Python and a database error."""

    @app.route("/test-only/bug")
    def bug():
        raise RuntimeError("secret internals")

    @app.route("/test-only/bad-sql")
    def bad_sql():
        db.session.execute(sa.text("SELECT secret FROM no_such_table"))

    @app.route("/test-only/redis", methods=["GET", "POST"])
    def needs_redis():
        Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2).ping()

    return app


@pytest.mark.parametrize("path", ["/test-only/bug", "/test-only/bad-sql"])
def test_failing_page_shows_generic_error_without_internals(failing_app, path):
    response = failing_app.test_client().get(path)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body and "<html" in body
    for secret in ("Traceback", "secret internals", "RuntimeError", *SQL_WORDS):
        assert secret not in body


def test_failing_htmx_request_gets_a_banner(failing_app):
    response = failing_app.test_client().get("/test-only/bug", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert response.headers["HX-Retarget"] == "#kpay-alerts"
    assert "Something went wrong" in response.get_data(as_text=True)


def test_site_still_answers_after_a_database_error(failing_app):
    client = failing_app.test_client()
    client.get("/test-only/bad-sql")
    assert client.get("/").status_code == 200


def test_unknown_address_gets_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)


def test_wrong_method_gets_405_with_allow_header(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_production_config_never_debugs(make_app, monkeypatch):
    monkeypatch.setenv("KPAY_SECRET_KEY", "p" * 40)
    app = make_app({"env": "production"})
    assert app.debug is False
    assert app.config["PROPAGATE_EXCEPTIONS"] is None
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


class BrokenNavigation:
    """A plugin whose navigation hook fails, so even the error page's layout fails."""

    @hookimpl
    def kpay_nav_items(self, user):
        raise RuntimeError("plugin bug")


def test_error_in_the_layout_still_gets_a_plain_500_with_headers(make_app):
    response = make_app(plugins=[BrokenNavigation()]).test_client().get("/")
    assert response.status_code == 500
    assert response.get_data(as_text=True) == "500 Internal Server Error"
    assert "Content-Security-Policy" in response.headers


def test_a_page_that_needs_redis_while_it_is_down_answers_503_keeping_the_form(failing_app):
    """F19: a Redis outage is a 503 to retry, and what was typed comes back."""
    failing_app.config["WTF_CSRF_ENABLED"] = False
    response = failing_app.test_client().post("/test-only/redis", data={"body": "my long reply"})
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "my long reply</textarea>" in response.get_data(as_text=True)
