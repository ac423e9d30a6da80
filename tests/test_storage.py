"""Uploads live in the configured storage: the local folder or an S3-compatible bucket (a moto
server on loopback). Every test here runs on both backends."""

from __future__ import annotations

import io
import os
import time
import urllib.request

import pytest

from kpay.cli import cli
from kpay.config import ConfigError
from kpay.extensions import db
from kpay.models import User
from kpay.storage import checksum, storage
from kpay.storage import folders as upload_folders
from tests.conftest import Auth, csrf_token
from tests.test_avatar import picture


@pytest.fixture
def app(make_app, storage_settings):
    return make_app({"storage": storage_settings})


def fetch(client, url: str) -> tuple[int, bytes]:
    """Status and body of ``url``, following a redirect to a presigned object-store URL."""
    response = client.get(url)
    if response.status_code == 302 and response.headers["Location"].startswith("http://127.0.0.1"):
        with urllib.request.urlopen(response.headers["Location"]) as presigned:
            return presigned.status, presigned.read()
    return response.status_code, response.data


def test_files_are_written_whole_read_back_listed_and_deleted(app):
    with app.app_context():
        backend = storage()
        data = os.urandom(3 * 2**20 + 17)
        backend.save("things/a.bin", io.BytesIO(data))
        backend.save("things/deep/b.bin", io.BytesIO(b"b"))
        with backend.open("things/a.bin") as file:
            assert file.read() == data
        assert backend.stat("things/a.bin").size == len(data)
        assert [item.key for item in backend.list("things/")] == ["things/a.bin", "things/deep/b.bin"]
        backend.delete("things/a.bin")
        backend.delete("things/a.bin")  # already gone: nothing happens
        assert backend.stat("things/a.bin") is None
        with pytest.raises(FileNotFoundError):
            backend.open("things/a.bin")
        with pytest.raises(ValueError):
            backend.save("../kpay.toml", io.BytesIO(b"x"))


def test_a_write_that_fails_half_way_leaves_no_file(app):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 2**20:
                raise OSError("connection dropped")
            return super().read(size)

    with app.app_context():
        with pytest.raises(OSError):
            storage().save("things/half.bin", Broken(os.urandom(9 * 2**20)))
        assert storage().stat("things/half.bin") is None
        assert list(storage().list("things/")) == []


def test_a_members_avatar_is_stored_and_served_from_the_backend(app, make_user):
    member = make_user(email="lin@example.com")
    client = app.test_client()
    Auth(client).login(member.email)
    token = csrf_token(client.get("/account/profile"))
    client.post("/account/avatar", data={"csrf_token": token, "avatar": (io.BytesIO(picture()), "me.png")},
                content_type="multipart/form-data")
    with app.app_context():
        name = db.session.get(User, member.id).avatar
        assert storage().stat(f"avatars/{name}").size > 0
    status, body = fetch(app.test_client(), f"/avatars/{name}")
    assert status == 200 and body[:4] == b"RIFF" and body[8:12] == b"WEBP"


def test_check_reports_orphans_and_the_sweep_removes_them_after_the_grace_period(app, make_user):
    member = make_user()
    with app.app_context():
        user = db.session.get(User, member.id)
        user.avatar = "0" * 32 + ".webp"
        db.session.commit()
        storage().save(f"avatars/{user.avatar}", io.BytesIO(b"kept"))
        storage().save("avatars/" + "1" * 32 + ".webp", io.BytesIO(b"orphan"))
        (report,) = [r for r in upload_folders.check() if r.folder.prefix == "avatars"]
        assert [item.key for item in report.orphans] == ["avatars/" + "1" * 32 + ".webp"]
        assert report.missing == []
        assert upload_folders.sweep() == 0  # younger than the grace period
    result = app.test_cli_runner().invoke(cli, ["storage", "check"])
    assert result.exit_code == 0 and "avatars: 1 orphaned, 0 missing" in result.output
    later = app.config["KPAY"]["storage"]
    later["grace_hours"] = 1
    with app.app_context(), _clock_moved(hours=2):
        assert upload_folders.sweep() == 1
        assert [item.key for item in storage().list("avatars/")] == [f"avatars/{'0' * 32}.webp"]
        storage().delete(f"avatars/{'0' * 32}.webp")
    result = app.test_cli_runner().invoke(cli, ["storage", "check"])
    assert result.exit_code == 1 and f"missing avatars/{'0' * 32}.webp" in result.output


def _clock_moved(hours: int):
    import time_machine

    return time_machine.travel(time.time() + hours * 3600, tick=False)


def test_migrate_copies_every_upload_to_s3_verified_and_can_be_run_again(make_app, s3_storage):
    app = make_app({"storage": {**s3_storage, "backend": "local"}})
    with app.app_context():
        storage().save("avatars/" + "2" * 32 + ".webp", io.BytesIO(os.urandom(70_000)))
        expected = checksum(storage(), "avatars/" + "2" * 32 + ".webp")
    result = app.test_cli_runner().invoke(cli, ["storage", "migrate", "--to", "s3"])
    assert result.exit_code == 0, result.output
    assert "1 copied, 0 already there" in result.output and 'storage.backend = "s3"' in result.output
    again = app.test_cli_runner().invoke(cli, ["storage", "migrate", "--to", "s3"])
    assert "0 copied, 1 already there" in again.output
    moved = make_app({"storage": s3_storage})
    with moved.app_context():
        assert checksum(storage(), "avatars/" + "2" * 32 + ".webp") == expected


def test_backup_copies_every_declared_upload_from_the_backend_into_a_folder(app, tmp_path):
    with app.app_context():
        storage().save("avatars/" + "3" * 32 + ".webp", io.BytesIO(b"picture"))
        storage().save("elsewhere/not-declared.bin", io.BytesIO(b"x"))
    result = app.test_cli_runner().invoke(cli, ["storage", "backup", str(tmp_path / "backup")])
    assert result.exit_code == 0 and "1 copied, 0 already there" in result.output
    assert (tmp_path / "backup" / "avatars" / ("3" * 32 + ".webp")).read_bytes() == b"picture"
    assert not (tmp_path / "backup" / "elsewhere").exists()


def test_s3_without_a_bucket_stops_start_up_naming_the_key(make_app):
    with pytest.raises(ConfigError, match="storage.s3_bucket"):
        make_app({"storage": {"backend": "s3"}})


def test_hook_kpay_upload_folders(app):
    with app.app_context():
        assert [folder.prefix for folder in upload_folders.folders()] == ["avatars"]
