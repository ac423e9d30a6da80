"""SQLite made fit for a small site: WAL, a busy timeout, and BEGIN IMMEDIATE for writers.

pysqlite's deferred BEGIN lets two transactions read and then both try to write, and one of
them fails with "database is locked" at once. Transactions that may write (any request that
is not GET/HEAD/OPTIONS, CLI commands and jobs) therefore begin IMMEDIATE and queue on the
busy timeout instead; GET requests, which never write, begin deferred and never block.
"""

from __future__ import annotations

import sqlite3

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=15000",  # milliseconds a writer waits for the lock
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


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
    reading = has_request_context() and request.method in READ_ONLY_METHODS
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
