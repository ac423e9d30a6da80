"""F11, F20: on SQLite, concurrent read-then-write transactions queue instead of failing, and
only writing holds the write lock."""

import sqlite3
import threading

import pytest
import sqlalchemy as sa

import kpay.sqlite

from kpay.extensions import db
from tests.conftest import csrf_token

THREADS = 8
ROUNDS = 200
metadata = sa.MetaData()
counter = sa.Table(
    "test_counter", metadata,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("value", sa.Integer),
)


@pytest.fixture
def postgres_url():
    """These tests are about SQLite, whatever database the rest of the suite runs on."""
    return None


@pytest.fixture
def sqlite_app(make_app, tmp_path):
    """An app on a file SQLite database, with a counter row."""
    app = make_app({"database_url": f"sqlite:///{tmp_path / 'concurrency.db'}"})
    with app.app_context():
        metadata.create_all(db.engine)
        db.session.execute(counter.insert().values(id=1, value=0))
        db.session.commit()
    return app


def increment_many(app, errors: list) -> None:
    for _ in range(ROUNDS):
        with app.app_context():
            try:
                value = db.session.execute(
                    sa.select(counter.c.value).where(counter.c.id == 1).with_for_update()
                ).scalar_one()
                db.session.execute(counter.update().where(counter.c.id == 1).values(value=value + 1))
                db.session.commit()
            except sa.exc.OperationalError as error:
                errors.append(str(error.orig))
                db.session.rollback()


def test_eight_writers_lose_no_updates(sqlite_app):
    errors: list[str] = []
    threads = [threading.Thread(target=increment_many, args=(sqlite_app, errors)) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sqlite_app.app_context():
        assert db.session.scalar(sa.select(counter.c.value)) == THREADS * ROUNDS


def test_pages_read_while_a_writer_holds_the_lock(sqlite_app, tmp_path):
    """GET requests begin deferred, so under WAL they read past a writer instead of waiting."""
    writer = sqlite3.connect(tmp_path / "concurrency.db", isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        response = sqlite_app.test_client().get("/")
        assert response.status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_database_runs_in_wal_mode(sqlite_app):
    with sqlite_app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA busy_timeout")).scalar() == 15000


def someone_else_can_write(path) -> bool:
    """True when another connection gets the write lock at once."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_a_post_that_only_reads_holds_no_write_lock(sqlite_app, tmp_path):
    """F20: reading (a password check, say) in a POST leaves the lock to writers."""
    path = tmp_path / "concurrency.db"
    with sqlite_app.test_request_context("/login", method="POST"):
        assert db.session.scalar(sa.select(counter.c.value)) == 0
        assert someone_else_can_write(path)
        db.session.execute(counter.update().values(value=1))
        assert not someone_else_can_write(path)
        db.session.commit()
        assert someone_else_can_write(path)
    with sqlite_app.app_context():
        assert db.session.scalar(sa.select(counter.c.value)) == 1


def test_a_read_then_locked_write_sees_the_latest_value(sqlite_app, tmp_path):
    """A row read before another writer's commit is read afresh once locked FOR UPDATE."""
    with sqlite_app.app_context():
        assert db.session.scalar(sa.select(counter.c.value)) == 0
        writer = sqlite3.connect(tmp_path / "concurrency.db", isolation_level=None)
        writer.execute("UPDATE test_counter SET value = 41")
        writer.close()
        locked = db.session.scalar(sa.select(counter.c.value).with_for_update())
        assert locked == 41


def test_a_writer_that_waits_too_long_gets_a_503_with_retry_after(make_app, tmp_path, monkeypatch):
    """F20: past the busy timeout a writer answers 503 and asks to be retried, never 500."""
    monkeypatch.setattr(kpay.sqlite, "PRAGMAS", tuple(
        "PRAGMA busy_timeout=200" if p.startswith("PRAGMA busy_timeout") else p for p in kpay.sqlite.PRAGMAS
    ))
    app = make_app({"database_url": f"sqlite:///{tmp_path / 'busy.db'}"})
    client = app.test_client()
    page = client.get("/login")
    writer = sqlite3.connect(tmp_path / "busy.db", isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        answer = client.post("/login", data={
            "email": "nobody@example.com", "password": "wrong password here", "csrf_token": csrf_token(page),
        })
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    assert "nobody@example.com" in answer.get_data(as_text=True)
