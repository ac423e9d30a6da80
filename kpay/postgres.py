"""PostgreSQL without round trips a page does not need: no ping per checkout, prepared statements kept.

A pooled connection is checked when it is taken from the pool by reading what the server
sent it meanwhile (no round trip): a server that restarted, or ended the backend, has closed
the socket, and the pool replaces the connection before the request uses it.

psycopg prepares a statement run five times on a connection, which spares the server parsing
and planning it again, but forgets every prepared statement at each ``ROLLBACK``. A request
that only read ends its transaction with ``COMMIT`` instead: with nothing written the two are
the same, and the statements stay prepared for the next request.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import pq
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

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


@event.listens_for(Pool, "checkout")
def _drop_closed(dbapi_connection, connection_record, connection_proxy) -> None:
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return
    try:  # never blocks: an idle connection has nothing to read unless the server ended it
        pgconn.consume_input()  # the server's farewell (FATAL), if it sent one
        pgconn.consume_input()  # and the end of the stream after it
    except psycopg.OperationalError as error:
        raise exc.DisconnectionError(str(error)) from error


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
        dbapi_connection.commit()  # psycopg's rollback() then has nothing to end, and keeps its statements


def _reads(statement: str, context) -> bool:
    """True when ``statement`` is a plain ``SELECT`` (it may lock rows; commit frees them as rollback does)."""
    if not statement.lstrip()[:6].upper() == "SELECT":
        return False
    return not (getattr(context, "isinsert", False) or getattr(context, "isupdate", False)
                or getattr(context, "isdelete", False))
