"""The admin console: who may open it and what it tells an owner."""

from pathlib import Path

import flask_migrate
import pytest

import kpay
from kpay.extensions import db


@pytest.fixture
def owner_client(client, auth, make_user):
    auth.login(make_user(role="owner").email)
    return client


def test_owner_is_told_when_database_is_behind_the_code(app, owner_client):
    core_head = max(p.stem for p in (Path(kpay.__file__).parent / "migrations" / "versions").glob("0*.py"))
    page = owner_client.get("/admin/")
    assert f"run `kpay db upgrade` to apply {core_head}" in page.get_data(as_text=True)


def test_no_migration_warning_once_database_is_at_head(app, owner_client):
    with app.app_context():
        flask_migrate.stamp(revision="heads")
        db.session.remove()
    page = owner_client.get("/admin/")
    assert page.status_code == 200
    assert "kpay db upgrade" not in page.get_data(as_text=True)


@pytest.mark.parametrize("role", ["admin", "owner"])
def test_admins_see_installed_plugins_page(client, auth, make_user, role):
    auth.login(make_user(role=role).email)
    page = client.get("/admin/plugins")
    assert page.status_code == 200
    assert "kpay.toml" in page.get_data(as_text=True)


@pytest.mark.parametrize("role", ["moderator", "creator", "member"])
def test_other_roles_are_refused_every_admin_page(client, auth, make_user, role):
    auth.login(make_user(role=role).email)
    for url in ("/admin/", "/admin/plugins", "/admin/jobs"):
        assert client.get(url).status_code == 403, url


def test_admin_nav_link_only_for_admins(client, auth, make_user):
    auth.login(make_user().email)
    assert b'href="/admin/"' not in client.get("/").data
    auth.logout()
    auth.login(make_user(role="admin").email)
    assert b'href="/admin/"' in client.get("/").data


def test_visitor_htmx_request_to_admin_partial_redirects_the_whole_page(client):
    response = client.get(
        "/admin/plugins",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/admin/plugins"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/login?next=/admin/plugins"
    assert b"<form" not in response.data
