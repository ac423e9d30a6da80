"""PostgreSQL without round trips a page does not need: no ping per checkout, prepared statements kept.

A pooled connection is checked when it is taken from the pool by reading what the server
sent it meanwhile (no round trip): a server that restarted, or ended the backend, has closed
the socket, and the pool replaces the connection before the request uses it. One that idled
longer than ``PING_AFTER`` is pinged as well: a NAT or load balancer forgets a quiet connection
without a word to either side.

psycopg prepares a statement run five times on a connection, which spares the server parsing
and planning it again, but forgets every prepared statement at each ``ROLLBACK``. A request
that only read ends its transaction with ``COMMIT`` instead: with nothing written the two are
the same, and the statements stay prepared for the next request.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import psycopg
from psycopg import pq
import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from sqlalchemy.sql.selectable import CompoundSelect, Select

PING_AFTER = 30.0  # seconds idle in the pool after which a checkout pings the server
IDLE_SINCE = "kpay_idle_since"  # in the pool record's info: when the connection was checked in
WROTE = "kpay_wrote"  # in connection.info: the transaction wrote, or may have
ROWS = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class Cursor(psycopg.Cursor):
    """psycopg's cursor whose ``description`` makes its columns only when they are read.

    SQLAlchemy asks for the description after every statement, but reads the columns only the
    first time it meets a statement (it keeps what it learnt with the compiled statement);
    psycopg makes a ``Column`` of each of them each time, a tenth of a short statement's time.
    """

    @property
    def description(self) -> Sequence | None:  # type: ignore[override]  # a sequence, as DB-API asks
        result = self.pgresult
        if result is None or not (result.nfields or result.status in ROWS):
            return None
        return _Columns(self, result)


class _Columns(Sequence):
    """The columns of one result of ``cursor``, made by psycopg the first time one is read."""

    __slots__ = ("_cursor", "_result", "_made")

    def __init__(self, cursor: Cursor, result) -> None:
        self._cursor, self._result, self._made = cursor, result, None

    def __len__(self) -> int:
        return self._result.nfields

    def __getitem__(self, index):
        if self._made is None:
            if self._cursor.pgresult is not self._result:
                raise psycopg.InterfaceError("the cursor has moved on to another result")
            self._made = psycopg.Cursor.description.fget(self._cursor)
        return self._made[index]


@event.listens_for(Pool, "checkin")
def _note_idle(dbapi_connection, connection_record) -> None:
    connection_record.info[IDLE_SINCE] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _drop_closed(dbapi_connection, connection_record, connection_proxy) -> None:
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return
    idle = time.monotonic() - connection_record.info.get(IDLE_SINCE, time.monotonic())
    try:  # never blocks: an idle connection has nothing to read unless the server ended it
        pgconn.consume_input()  # the server's farewell (FATAL), if it sent one
        pgconn.consume_input()  # and the end of the stream after it
        if idle > PING_AFTER:
            _ping(dbapi_connection)
    except psycopg.Error as error:
        raise exc.DisconnectionError(str(error)) from error


def _ping(dbapi_connection: psycopg.Connection) -> None:
    """A round trip outside any transaction (as SQLAlchemy's own ping), which leaves psycopg's
    prepared statements alone."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute("SELECT 1")
    finally:
        dbapi_connection.autocommit = autocommit


@event.listens_for(Engine, "begin")
def _begin(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.info[WROTE] = False


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(connection, cursor, statement, parameters, context, executemany) -> None:
    if connection.info.get(WROTE, True) or _reads(statement, context):
        return
    connection.info[WROTE] = True


@event.listens_for(Engine, "rollback")
def _commit_what_only_read(connection) -> None:
    if connection.invalidated or connection.info.get(WROTE, True):
        return
    connection.info[WROTE] = True
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection.info.transaction_status == dbapi_connection.info.transaction_status.INTRANS:
        try:
            dbapi_connection.commit()  # psycopg's rollback() then has nothing to end, and keeps its statements
        except psycopg.Error:
            return  # SQLAlchemy's rollback meets the same error, and handles it (invalidates a lost connection)


def _reads(statement: str, context) -> bool:
    """True when ``statement`` is a ``SELECT`` built with SQLAlchemy's ``select()`` (it may lock
    rows; commit frees them as rollback does). Text and driver-level SQL count as writes: a
    ``SELECT`` of a function may write or ``set_config``. Writes on the driver's own connection
    are not seen at all; code that makes them marks the transaction with ``mark_written``."""
    compiled = getattr(context, "compiled", None)  # a select() opening WITH may hold an INSERT: a write
    return (compiled is not None and isinstance(compiled.statement, (Select, CompoundSelect))
            and statement.lstrip()[:6].upper() == "SELECT")


def mark_written(connection: sa.Connection) -> None:
    """Have ``connection``'s transaction rolled back, never committed, when it is not committed:
    for writes made on the driver's connection (``COPY``), which no event sees."""
    connection.info[WROTE] = True
