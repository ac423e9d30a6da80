"""SQLite made fit for a small site: WAL, a busy timeout, and a write lock only while writing.

Every transaction begins deferred, so work that only reads (rendering, checking a password,
calling a payment provider) holds no lock and never waits. The write lock is taken at the
transaction's first write: an INSERT, UPDATE, DELETE or SAVEPOINT, or a ``SELECT ... FOR
UPDATE`` (which SQLite does not know, so it is the place a read-then-write takes its lock,
as it takes a row lock on PostgreSQL). There the read-only transaction ends and a ``BEGIN
IMMEDIATE`` one starts: it queues on the busy timeout instead of failing with "database is
locked" at once, as pysqlite's deferred upgrade would when another writer got in first.
Rows read before that point may be stale, exactly as under PostgreSQL's READ COMMITTED; code
that must not act on a stale value locks it with ``with_for_update()`` first.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_SECONDS = 15
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}",  # milliseconds a writer waits for the lock
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")
LOCKED = "kpay_write_lock"


@event.listens_for(Engine, "connect")
def _configure(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN")
    connection.info[LOCKED] = False


@event.listens_for(Engine, "before_cursor_execute")
def _lock_before_writing(connection, cursor, statement, parameters, context, executemany) -> None:
    if connection.dialect.name != "sqlite" or connection.info.get(LOCKED, True):
        return
    if not _writes(statement, context):
        return
    connection.info[LOCKED] = True
    cursor.execute("COMMIT")  # the read-only part: nothing to keep, no lock to give up
    cursor.execute("BEGIN IMMEDIATE")


def _writes(statement: str, context) -> bool:
    """True when ``statement`` writes or asks to lock what it reads (``FOR UPDATE``)."""
    if statement.lstrip()[:9].upper().startswith(WRITES):
        return True
    if getattr(context, "isinsert", False) or getattr(context, "isupdate", False) or getattr(context, "isdelete", False):
        return True
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None
