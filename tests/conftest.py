"""Fixtures: a real app on a real database (SQLite per test, or PostgreSQL when configured).

Set ``KPAY_TEST_DATABASE_URL`` (e.g. ``postgresql://postgres@127.0.0.1/test``) to run on
PostgreSQL: each test process gets a database of its own, emptied after every test. Set
``KPAY_TEST_REDIS_URL`` to run the Redis paths (rq, limiter storage) on a real server; each
app gets a queue name of its own so parallel runs do not meet.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid

import pytest
import sqlalchemy as sa

from kpay.app import create_app
from kpay.extensions import db

TEST_DATABASE_URL = os.environ.get("KPAY_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("KPAY_TEST_REDIS_URL", "")
PASSWORD = "correct horse battery"


def _psycopg_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


@contextlib.contextmanager
def fresh_postgres_database(prefix: str):
    """Create an empty PostgreSQL database next to ``KPAY_TEST_DATABASE_URL``; yield its URL."""
    admin_url = sa.engine.make_url(_psycopg_url(TEST_DATABASE_URL))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(worker_id):
    """A fresh PostgreSQL database for this test process, or None when not configured."""
    if not TEST_DATABASE_URL:
        yield None
        return
    with fresh_postgres_database(f"kpay_test_{worker_id}") as url:
        yield url


@pytest.fixture(scope="session")
def worker_id(request):
    """The xdist worker name (``master`` without xdist)."""
    return getattr(request.config, "workerinput", {}).get("workerid", "master")


@pytest.fixture
def make_app(tmp_path, postgres_url):
    """Build apps on this test's database: ``make_app(config_overrides, plugins=[...])``."""
    made = []

    def factory(config: dict | None = None, plugins: list | None = None, create_tables=True):
        settings = {
            "instance_path": str(tmp_path / "instance"),
            "database_url": postgres_url or f"sqlite:///{tmp_path / 'kpay.db'}",
            "redis_url": "",
            "queue_name": f"kpay-test-{uuid.uuid4().hex[:10]}",
            "plugins": {"enabled": []},
        }
        for key, value in (config or {}).items():
            if isinstance(value, dict) and isinstance(settings.get(key), dict):
                settings[key] = {**settings[key], **value}
            else:
                settings[key] = value
        app = create_app(settings, plugins=plugins)
        app.config.update(TESTING=True, RATELIMIT_ENABLED=True)
        if create_tables:
            with app.app_context():
                db.create_all()
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            db.session.remove()
            if postgres_url and app.config["SQLALCHEMY_DATABASE_URI"] == postgres_url:
                _empty_tables()
            db.engine.dispose()


def _empty_tables() -> None:
    names = sa.inspect(db.engine).get_table_names()
    if names:
        quoted = ", ".join(f'"{name}"' for name in names if name != "alembic_version")
        with db.engine.begin() as connection:
            if quoted:
                connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(make_app):
    """An app with no optional plugins, its tables created."""
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a member: ``make_user(role="admin", email=..., name=...)``; password ``PASSWORD``."""
    from kpay.accounts import create_user

    counter = iter(range(1, 10_000))

    def factory(role: str = "member", email: str | None = None, name: str | None = None):
        n = next(counter)
        with app.app_context():
            user = create_user(email or f"user{n}@example.com", name or f"User {n}", PASSWORD, role=role)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return factory


def csrf_token(response) -> str:
    """The CSRF token a page carries (its meta tag or a form field)."""
    text = response.get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', text) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', text
    )
    assert match, "page has no CSRF token"
    return match.group(1)


class Auth:
    """Log a test client in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, remember: bool = False, next: str = ""):
        token = csrf_token(self.client.get("/login"))
        data = {"email": email, "password": password, "csrf_token": token, "next": next}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        token = csrf_token(self.client.get("/"))
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3-compatible server (moto's) on loopback for this test process; its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint):
    """``[storage]`` settings of the s3 backend on a fresh bucket of the loopback server."""
    import boto3

    bucket = f"kpay-{uuid.uuid4().hex[:12]}"
    settings = {"backend": "s3", "s3_bucket": bucket, "s3_endpoint_url": s3_endpoint, "s3_region": "us-east-1",
                "s3_access_key_id": "test", "s3_secret_access_key": "test"}
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=bucket)
    return settings


@pytest.fixture(params=["local", "s3"])
def storage_settings(request):
    """``[storage]`` settings of each backend in turn: the local folder, then S3."""
    return {"backend": "local"} if request.param == "local" else request.getfixturevalue("s3_storage")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and not TEST_DATABASE_URL:
            item.add_marker(pytest.mark.skip(reason="set KPAY_TEST_DATABASE_URL to run"))
        if "redis" in item.keywords and not TEST_REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="set KPAY_TEST_REDIS_URL to run"))
