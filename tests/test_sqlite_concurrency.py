"""F11: on SQLite, concurrent read-then-write transactions queue instead of failing."""

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from kpay.extensions import db

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
                value = db.session.execute(sa.select(counter.c.value).where(counter.c.id == 1)).scalar_one()
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
