"""PostgreSQL's pooled connections: they outlive a server restart, and a request that only read
keeps psycopg's prepared statements without ever committing what another request meant to undo."""

import socket
import struct
import threading
import time

import pytest
import sqlalchemy as sa

from kpay import postgres
from kpay.app import _engine_options
from kpay.extensions import db
from kpay.models import User

pytestmark = pytest.mark.postgres


def end_the_pooled_connections(app) -> None:
    """Do what a PostgreSQL restart does to the app's pooled connections: end their backends, and
    wait until they are gone (a restart takes longer; a busy machine may take seconds)."""
    others = sa.select(sa.column("pid")).select_from(sa.table("pg_stat_activity")).where(
        sa.column("datname") == sa.func.current_database(), sa.column("pid") != sa.func.pg_backend_pid(),
        sa.column("backend_type") == "client backend").subquery()
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count(sa.func.pg_terminate_backend(others.c.pid))))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not connection.scalar(sa.select(sa.func.count()).select_from(others)):
                return
            connection.rollback()  # a new snapshot of pg_stat_activity
            time.sleep(0.05)
    raise AssertionError("the backends did not end within 30 s")


def test_member_pages_still_answer_after_postgresql_ended_the_pooled_connections(app, member, auth, client):
    auth.login(member.email)
    assert "Mia Member" in client.get("/").get_data(as_text=True)

    end_the_pooled_connections(app)

    response = client.get("/")
    assert response.status_code == 200
    assert "Mia Member" in response.get_data(as_text=True)


def test_a_write_is_undone_by_rollback_and_a_read_keeps_its_prepared_statements(app, member):
    read = sa.select(User.display_name).where(User.id == member.id)
    with app.app_context():
        for _ in range(7):  # psycopg prepares a statement at its sixth run on a connection
            assert db.session.execute(read).scalar_one() == "Mia Member"
            db.session.rollback()
        prepared = sa.text("SELECT count(*) FROM pg_prepared_statements")
        assert db.session.execute(prepared).scalar_one() >= 1

        db.session.execute(sa.update(User).where(User.id == member.id).values(display_name="Changed"))
        db.session.rollback()
        with db.session.begin_nested():
            db.session.execute(sa.select(User.id).where(User.id == member.id))
        db.session.execute(sa.update(User).where(User.id == member.id).values(display_name="Changed"))
        db.session.rollback()

        assert db.session.execute(read).scalar_one() == "Mia Member"
        names = db.session.execute(sa.text("SELECT 1 AS one, 'x' AS two")).mappings().one()
        assert dict(names) == {"one": 1, "two": "x"}


def test_a_select_in_text_that_changes_a_setting_is_rolled_back_not_committed(app):
    with app.app_context():
        db.session.execute(sa.text("SELECT set_config('statement_timeout', '1234', false)"))
        db.session.rollback()
        assert db.session.execute(sa.text("SHOW statement_timeout")).scalar_one() != "1234ms"


class ForgetfulMiddlebox:
    """A TCP relay to PostgreSQL that, once told to forget, answers the next packet of each
    connection it knew with a reset and tells the server nothing, as a NAT or load balancer does
    after an idle timeout."""

    def __init__(self, host: str, port: int):
        self.upstream, self.known, self.forgotten = (host, port), [], set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def forget(self) -> None:
        self.forgotten.update(self.known)

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.upstream)
            self.known.append(client)
            threading.Thread(target=self._pump, args=(client, server, client), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

    def _pump(self, source, target, client) -> None:
        try:
            while data := source.recv(65536):
                if client in self.forgotten:
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    client.close()
                    return
                target.sendall(data)
        except OSError:
            pass


def test_a_connection_a_middlebox_forgot_while_idle_is_replaced_before_a_request_uses_it(app, monkeypatch):
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    middlebox = ForgetfulMiddlebox(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=middlebox.port)
    engine = sa.create_engine(relayed, pool_size=1, max_overflow=0, **_engine_options(relayed.render_as_string(False)))
    monkeypatch.setattr(postgres, "PING_AFTER", 0.0)  # as if it had idled past the middlebox's timeout
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.literal("first"))) == "first"
    middlebox.forget()
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.literal("answered"))) == "answered"
    engine.dispose()
