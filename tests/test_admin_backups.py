"""The admin's backups page: the owner starts a backup and downloads it (audited); nobody
else may, and a remembered session must re-authenticate first."""

from __future__ import annotations

import io
import os
import time
import tarfile

import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.models.audit import AuditEntry
from tests.conftest import Auth, csrf_token


@pytest.fixture
def app(make_app, tmp_path):
    (tmp_path / "backups").mkdir()
    return make_app({"backup": {"folder": str(tmp_path / "backups")}})


def test_owner_starts_and_downloads_a_backup(app, client, auth, make_user, tmp_path):
    folder = tmp_path / "backups"
    auth.login(make_user("owner").email)
    page = client.get("/admin/backups")
    assert page.status_code == 200
    assert b"Start a backup now" in page.data
    started = client.post("/admin/backups/start", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert b"Backup written: kpay-backup-" in started.data
    (path,) = folder.glob("kpay-backup-*.tar.gz")
    assert path.name.encode() in started.data
    download = client.get(f"/admin/backups/{path.name}")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    with tarfile.open(fileobj=io.BytesIO(download.data)) as tar:
        assert "manifest.json" in tar.getnames()
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("backup.%"))).all()
    assert sorted(actions) == ["backup.created", "backup.downloaded"]
    assert client.get("/admin/backups/..%2Fkpay.db").status_code == 404


def test_only_the_owner_with_a_fresh_log_in(app, client, auth, make_user):
    auth.login(make_user("admin").email)
    assert client.get("/admin/backups").status_code == 403
    assert client.post("/admin/backups/start").status_code in (400, 403)
    auth.logout()
    auth.login(make_user("owner").email, remember=True)
    client.delete_cookie("session")
    assert "/reauth" in client.get("/admin/backups").headers["Location"]


def test_overview_warns_when_no_backup_was_written_in_a_day(app, client, auth, make_user, tmp_path):
    auth.login(make_user("owner").email)
    warning = b"No backup was written in the last day"
    assert warning in client.get("/admin/").data
    archive = tmp_path / "backups" / "kpay-backup-20261201-030000.tar.gz"
    archive.write_bytes(b"x")
    assert warning not in client.get("/admin/").data
    old = time.time() - 27 * 3600
    os.utime(archive, (old, old))
    assert warning in client.get("/admin/").data


def test_overview_says_nothing_without_scheduled_backups(make_app, make_user):
    """The same database, served without ``backup.folder``."""
    client = make_app(create_tables=False).test_client()
    Auth(client).login(make_user("owner").email)
    assert b"No backup was written" not in client.get("/admin/").data
