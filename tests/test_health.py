"""F12: /healthz needs nothing; /readyz needs the database and reports Redis and mail."""

import pytest

from kpay.app import create_app
from tests.conftest import csrf_token

UNREACHABLE_DB = "postgresql+psycopg://nobody@127.0.0.1:1/x"
CLOSED_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def app_without_database(tmp_path):
    """An app whose database cannot be reached (built directly: ``make_app`` cleans its database)."""
    return create_app({
        "instance_path": str(tmp_path / "instance"), "database_url": UNREACHABLE_DB,
        "plugins": {"enabled": []},
    })


def test_liveness_answers_without_a_database(app_without_database):
    response = app_without_database.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readiness_fails_when_the_database_is_unreachable(app_without_database):
    response = app_without_database.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"].startswith("error")


def test_readiness_reports_embedded_mode(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"].startswith("not configured")
    assert checks["mail"].startswith("not configured")


def test_redis_down_is_reported_but_not_fatal(make_app):
    response = make_app({"redis_url": CLOSED_REDIS}).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["redis"].startswith("error")


def test_mail_server_down_is_reported_but_not_fatal(make_app):
    response = make_app({"mail": {"server": "127.0.0.1", "port": 1}}).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["mail"].startswith("error")


def test_pages_answer_503_with_retry_after_when_the_database_is_unreachable(app_without_database):
    """F19: an outage is a 503 the browser may retry, not a 500."""
    response = app_without_database.test_client().get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "Briefly unavailable" in response.get_data(as_text=True)
    assert "Content-Security-Policy" in response.headers


def offline_member(client, auth, make_user, app_without_database):
    """A signed-in member's browser whose site has just lost its database; the profile page's
    CSRF token, fetched while it was up."""
    auth.login(make_user().email)
    token = csrf_token(client.get("/account/profile"))
    offline = app_without_database.test_client()
    offline.set_cookie("session", client.get_cookie("session").value)
    return offline, token


def test_a_member_posting_during_an_outage_keeps_the_text_and_the_session(
    client, auth, make_user, app_without_database
):
    """F19: the form comes back with what was typed, and the member is not sent to log in."""
    offline, token = offline_member(client, auth, make_user, app_without_database)
    response = offline.post("/account/profile", data={
        "csrf_token": token, "display_name": "Ada", "bio": "A long story I typed\nover two lines",
    })
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "A long story I typed\nover two lines</textarea>" in page
    assert f'value="{token}"' in page
    assert "/login" not in response.headers.get("Location", "")
    assert client.get("/account/profile").status_code == 200  # still logged in once it is back


def test_an_htmx_post_during_an_outage_gets_the_reload_banner(client, auth, make_user, app_without_database):
    offline, token = offline_member(client, auth, make_user, app_without_database)
    response = offline.post(
        "/account/profile", data={"csrf_token": token, "bio": "typed"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 503
    assert response.headers["HX-Retarget"] == "#kpay-alerts"
    assert "Reload the page" in response.get_data(as_text=True)
