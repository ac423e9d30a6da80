"""The test databases: SQLite files, or PostgreSQL databases made next to ``KPAY_TEST_DATABASE_URL``."""

from __future__ import annotations

import contextlib
import os
import re
import uuid

import sqlalchemy as sa

TEST_DATABASE_URL = os.environ.get("KPAY_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("KPAY_TEST_REDIS_URL", "")


def psycopg_url(url: str) -> str:
    """``url`` with the psycopg (v3) driver named, as SQLAlchemy needs it."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


@contextlib.contextmanager
def fresh_postgres_database(prefix: str):
    """Create an empty PostgreSQL database next to ``KPAY_TEST_DATABASE_URL``; yield its URL."""
    admin_url = sa.engine.make_url(psycopg_url(TEST_DATABASE_URL))
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
