"""F12: /healthz needs nothing; /readyz needs the database and reports Redis and mail."""

import pytest

from kpay.app import create_app

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


def test_pages_show_the_error_page_when_the_database_is_unreachable(app_without_database):
    response = app_without_database.test_client().get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "Content-Security-Policy" in response.headers


def test_signed_in_member_sees_the_error_page_when_the_database_goes_away(
    client, auth, make_user, app_without_database
):
    auth.login(make_user().email)
    cookie = client.get_cookie("session").value
    offline = app_without_database.test_client()
    offline.set_cookie("session", cookie)
    response = offline.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
