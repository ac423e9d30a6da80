"""instance/ is private: the folder 0700, and what KPay writes there (the database, e-mails
with reset links, data exports) 0600, whatever the umask KPay was started with."""

from __future__ import annotations

import os
import stat

import pytest

from tests.conftest import csrf_token


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_instance_and_what_kpay_writes_there_are_private(loose_umask, make_app, make_user, tmp_path):
    app = make_app()
    instance = tmp_path / "instance"
    assert mode(instance) == 0o700
    assert mode(instance / "kpay.toml") == 0o600
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert mode(tmp_path / "kpay.db") == 0o600

    member = make_user()
    client = app.test_client()
    with client.post("/reset", data={"email": member.email, "csrf_token": csrf_token(client.get("/reset"))}):
        pass
    client.post("/login", data={"email": member.email, "password": "correct horse battery",
                                "csrf_token": csrf_token(client.get("/login"))})
    with client.post("/account/privacy/export", data={"csrf_token": csrf_token(client.get("/account/privacy/"))}):
        pass
    written = [p for p in instance.rglob("*") if p.is_file() and p.suffix in (".eml", ".zip")]
    assert {p.suffix for p in written} == {".eml", ".zip"}
    assert {str(p.relative_to(instance)): mode(p) for p in written} == {
        str(p.relative_to(instance)): 0o600 for p in written
    }
    assert all(mode(p) == 0o700 for p in instance.rglob("*") if p.is_dir())
