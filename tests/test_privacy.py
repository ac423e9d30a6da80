"""A member downloads their data and deletes their account; plugins take part through
``kpay_user_data``, and the ledgers stay whole."""

from __future__ import annotations

import io
import json
import re
import types
import zipfile
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import pytest
import sqlalchemy as sa

from kpay import audit, events, hookimpl, plugins, points
from kpay.extensions import db
from kpay.models import AuditEntry, EmailMessage, ExportRequest, PointsEntry, User
from kpay.models.base import utcnow
from kpay.privacy.exports import remove_expired_exports
from tests.conftest import PASSWORD, Auth, csrf_token


class Wave:
    """A plugin that keeps a wave per member, and says so through ``kpay_user_data``."""

    __name__ = "wave"

    def __init__(self):
        self.erased: list[int] = []

    @hookimpl
    def kpay_user_data(self, user, action):
        if action == "export":
            return {"waves": 3, "last_wave": utcnow().replace(year=2024, month=1, day=2)}
        self.erased.append(user.id)
        return None


@pytest.fixture
def app(make_app):
    return make_app({"plugins": {"enabled": ["hello"]}})


@pytest.fixture
def mei(app, make_user):
    """A member with a greeting (and its point), some activity and an admin's audit entry."""
    member = make_user(email="mei@example.com", name="Mei")
    with app.app_context():
        from kpay_hello.greetings import post

        user = db.session.get(User, member.id)
        post(user, "Hi all")
        points.award(user, 5, "Finished a course", key="course:1:mei")
        events.emit("course.completed", user=user, subject=user)
        audit.record("member.role_changed", actor=None, target=user, before={"role": "member"}, after={"role": "member"})
        db.session.commit()
    return member


def ask_for_export(client):
    token = csrf_token(client.get("/account/privacy/"))
    return client.post("/account/privacy/export", data={"csrf_token": token})


def zip_files(response) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def download_link(client) -> str:
    page = client.get("/account/privacy/").get_data(as_text=True)
    return page.split('href="/account/privacy/exports/', 1)[1].split('"', 1)[0]


def test_member_downloads_their_data_as_a_zip_of_json_files(app, client, auth, mei):
    auth.login(mei.email)
    response = ask_for_export(client)
    assert response.status_code == 302
    page = client.get("/account/privacy/").get_data(as_text=True)
    assert "Your data is being prepared." in page
    response.close()  # the inline job runs once the response is closed, as a server does

    download = client.get(f"/account/privacy/exports/{download_link(client)}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment; filename=kpay-data-")
    assert download.headers["Cache-Control"] == "private, no-store"
    files = zip_files(download)
    assert sorted(files) == [
        "activity.json", "audit.json", "emails.json", "plugins/hello.json", "points.json", "profile.json",
    ]
    assert files["profile.json"]["email"] == "mei@example.com"
    assert "password_hash" not in files["profile.json"]
    assert [e["name"] for e in files["activity.json"]] == ["course.completed", "user.logged_in"]
    assert sorted(p["amount"] for p in files["points.json"]) == [1, 5]
    assert [a["action"] for a in files["audit.json"]] == ["member.role_changed", "auth.login"]
    assert [g["text"] for g in files["plugins/hello.json"]["greetings"]] == ["Hi all"]


def test_member_is_notified_and_emailed_when_their_data_is_ready(app, client, auth, mei):
    auth.login(mei.email)
    ask_for_export(client).close()
    with app.app_context():
        [message] = db.session.scalars(sa.select(EmailMessage)).all()
    assert message.to_address == "mei@example.com"
    assert message.subject == "[KPay Community] Your data is ready to download for 7 days."
    assert "http://localhost/account/privacy/" in message.text_body
    listed = client.get("/notifications")
    page = listed.get_data(as_text=True)
    assert "Your data is ready to download for 7 days." in page
    [open_url] = re.findall(r'action="(/notifications/\d+/open)"', page)
    opened = client.post(open_url, data={"csrf_token": csrf_token(listed)})
    assert opened.status_code == 302 and opened.headers["Location"] == "/account/privacy/"
    [eml] = (Path(app.instance_path) / "outbox").glob("*.eml")
    assert message_from_bytes(eml.read_bytes())["To"] == "mei@example.com"


def test_page_polls_only_while_the_export_is_being_prepared(client, auth, mei):
    auth.login(mei.email)
    assert "every 5s" not in client.get("/account/privacy/").get_data(as_text=True)
    response = ask_for_export(client)
    polled = client.get("/account/privacy/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert polled.startswith('<div id="privacy-export"') and 'hx-trigger="every 5s"' in polled
    assert "notification-bell" not in polled
    response.close()
    ready = client.get("/account/privacy/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Your data is ready." in ready and 'hx-trigger="every 5s"' not in ready
    # The bell comes along out of band, counting the notification that the export is ready.
    assert 'id="notification-bell"' in ready and 'hx-swap-oob="true"' in ready
    assert "Notifications: 1 unread" in ready
    assert client.get("/account/privacy/").get_data(as_text=True).count('id="notification-bell"') == 1


def test_asking_twice_while_preparing_makes_one_export(app, client, auth, mei):
    auth.login(mei.email)
    ask_for_export(client)
    ask_for_export(client)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportRequest)) == 1


def test_nobody_else_can_download_a_members_export(app, client, auth, mei, make_user):
    auth.login(mei.email)
    ask_for_export(client).close()
    token = download_link(client)
    auth.logout()
    visitor = client.get(f"/account/privacy/exports/{token}")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
    auth.login(make_user().email)
    assert client.get(f"/account/privacy/exports/{token}").status_code == 404
    assert client.get("/account/privacy/exports/..%2F..%2Fkpay.toml").status_code == 404


def test_expired_export_cannot_be_downloaded_and_is_swept_with_its_file(app, client, auth, mei):
    auth.login(mei.email)
    ask_for_export(client).close()
    token = download_link(client)
    with app.app_context():
        db.session.execute(sa.update(ExportRequest).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert client.get(f"/account/privacy/exports/{token}").status_code == 404
    assert "has expired" in client.get("/account/privacy/").get_data(as_text=True)
    with app.app_context():
        remove_expired_exports()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ExportRequest)) == 0
    assert list((Path(app.instance_path) / "exports").iterdir()) == []


def delete_account(client, password: str):
    token = csrf_token(client.get("/account/privacy/delete"))
    return client.post("/account/privacy/delete", data={"csrf_token": token, "password": password})


@pytest.mark.parametrize(("site_locale", "name"), [("en", "Deleted member"), ("zh_CN", "已注销成员")])
def test_deleted_member_is_named_in_the_sites_language_not_their_own(make_app, make_user, site_locale, name):
    app = make_app({"default_locale": site_locale})
    member = make_user(email="li@example.com")
    client = app.test_client()
    Auth(client).login(member.email)
    token = csrf_token(client.get("/"))
    client.post("/language", data={"csrf_token": token, "locale": "zh_CN" if site_locale == "en" else "en"})
    assert delete_account(client, PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).display_name == name


def test_deleting_an_account_needs_the_current_password(app, client, auth, mei):
    auth.login(mei.email)
    refused = delete_account(client, "not my password")
    assert refused.status_code == 422
    assert "That is not your current password." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, mei.id).status == "active"


def test_deleted_member_is_anonymised_logged_out_and_the_ledgers_still_balance(app, client, auth, mei):
    from kpay_hello.models import Greeting

    with app.app_context():
        ledger_before = db.session.execute(sa.select(PointsEntry.id, PointsEntry.user_id, PointsEntry.amount)).all()
        total_before = db.session.scalar(sa.select(sa.func.sum(PointsEntry.amount)))
    other_browser = app.test_client()
    Auth(other_browser).login(mei.email)
    auth.login(mei.email)
    with app.app_context():
        audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    ask_for_export(client).close()

    response = delete_account(client, PASSWORD)

    assert response.status_code == 302
    assert "Your account was deleted." in client.get("/").get_data(as_text=True)
    assert b"Log in" in other_browser.get("/").data, "every session ended"
    assert Auth(app.test_client()).login("mei@example.com").status_code == 422
    with app.app_context():
        gone = db.session.get(User, mei.id)
        assert (gone.email, gone.display_name, gone.status) == (f"deleted-{mei.id}@invalid", "Deleted member", "deleted")
        assert (gone.bio, gone.avatar, gone.interests) == ("", None, [])
        assert not gone.check_password(PASSWORD)
        assert db.session.scalars(sa.select(Greeting).where(Greeting.user_id == mei.id)).all() == []
        assert db.session.scalars(sa.select(ExportRequest)).all() == []
        assert db.session.scalars(sa.select(EmailMessage)).all() == []
        assert db.session.execute(sa.select(PointsEntry.id, PointsEntry.user_id, PointsEntry.amount)).all() == ledger_before
        assert db.session.scalar(sa.select(sa.func.sum(PointsEntry.amount))) == total_before
        assert points.balance(gone) == 6
        entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        # The failed log-in after the deletion is audited as well; the deletion is one entry.
        changes = [e for e in entries[audit_before:] if not e.action.startswith("auth.")]
        assert [(e.action, e.actor_id, e.after) for e in changes] == [
            ("member.deleted", mei.id, {"status": "deleted"}),
        ]
        assert "mei@example.com" not in json.dumps(entries[-1].before)
    assert list((Path(app.instance_path) / "exports").iterdir()) == []


def test_the_only_owner_cannot_delete_their_account(app, client, auth, make_user):
    owner = make_user(role="owner")
    auth.login(owner.email)
    page = client.get("/account/privacy/delete").get_data(as_text=True)
    assert "make another member owner" in page
    assert delete_account(client, PASSWORD).status_code == 422
    with app.app_context():
        assert db.session.get(User, owner.id).status == "active"


def test_visitor_is_sent_to_log_in_from_every_privacy_page(client):
    for url in ("/account/privacy/", "/account/privacy/delete"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_hook_kpay_user_data(make_app, make_user):
    wave = Wave()
    app = make_app(plugins=[wave])
    member = make_user(email="leo@example.com")
    client = app.test_client()
    Auth(client).login(member.email)
    ask_for_export(client).close()
    files = zip_files(client.get(f"/account/privacy/exports/{download_link(client)}"))
    assert files["plugins/wave.json"] == {"waves": 3, "last_wave": files["plugins/wave.json"]["last_wave"]}
    assert files["plugins/wave.json"]["last_wave"].startswith("2024-01-02T")
    delete_account(client, PASSWORD)
    assert wave.erased == [member.id]


def plugins_missing_user_data(pm, metadata: sa.MetaData) -> list[str]:
    """Registered plugins (not the core's) with a table pointing at users.id but no
    ``kpay_user_data``; a plugin's tables are those named ``<plugin name>_...``."""
    missing = []
    for name, plugin in pm.list_name_plugin():
        if name in plugins.CORE_PLUGINS:
            continue
        tables = sorted(
            table.name for table in metadata.tables.values()
            if table.name.startswith(f"{name}_")
            and any(fk.target_fullname == "users.id" for fk in table.foreign_keys)
        )
        if tables and "kpay_user_data" not in plugins.implemented_hooks(plugin):
            missing.append(f"{name} ({', '.join(tables)})")
    return missing


def test_every_enabled_plugin_with_member_rows_exports_and_erases_them(make_app):
    app = make_app({"plugins": {"enabled": sorted(plugins.available())}})
    assert plugins_missing_user_data(app.extensions["kpay"].pm, db.metadata) == []


def test_plugin_with_member_rows_but_no_kpay_user_data_is_caught(make_app):
    metadata = sa.MetaData()
    sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("silent_notes", metadata, sa.Column("user_id", sa.ForeignKey("users.id")))
    silent = types.ModuleType("silent")
    app = make_app(plugins=[silent])
    assert plugins_missing_user_data(app.extensions["kpay"].pm, metadata) == ["silent (silent_notes)"]


@pytest.fixture
def hello_off(make_app, mei):
    """The same site after its owner switched hello off: Mei's greeting is still in the database."""
    return make_app({"plugins": {"enabled": []}})


def greeting_texts(app, member) -> list[str]:
    from kpay_hello.models import Greeting

    with app.app_context():
        return db.session.scalars(sa.select(Greeting.text).where(Greeting.user_id == member.id)).all()


def test_a_switched_off_plugin_still_exports_and_erases_a_members_data(hello_off, mei):
    client = hello_off.test_client()
    Auth(client).login(mei.email)
    ask_for_export(client).close()
    files = zip_files(client.get(f"/account/privacy/exports/{download_link(client)}"))
    assert [g["text"] for g in files["plugins/hello.json"]["greetings"]] == ["Hi all"]
    assert delete_account(client, PASSWORD).status_code == 302
    assert greeting_texts(hello_off, mei) == []


def test_erasing_is_refused_naming_a_switched_off_plugin_that_fails_and_nothing_is_erased(hello_off, mei, monkeypatch):
    import kpay_hello.greetings

    def broken(user):
        raise RuntimeError("greetings table locked")

    monkeypatch.setattr(kpay_hello.greetings, "erase_greetings", broken)
    client = hello_off.test_client()
    Auth(client).login(mei.email)
    refused = delete_account(client, PASSWORD)
    assert refused.status_code == 422
    assert "Your account could not be deleted yet: hello, which is switched off, still holds" in refused.get_data(
        as_text=True).replace("&#39;", "'")
    assert greeting_texts(hello_off, mei) == ["Hi all"]
    with hello_off.app_context():
        assert db.session.get(User, mei.id).email == "mei@example.com"
