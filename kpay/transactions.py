"""Transaction helpers: code that runs only once a transaction has committed, inserts that
happen once per unique key, and counters changed in SQL.

Callbacks belong to the transaction (or savepoint) that was open when they were registered.
Releasing a savepoint hands its callbacks to the enclosing transaction; rolling a savepoint
back drops only its own. The outermost commit runs them; a rollback or a close drops them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger("kpay.transactions")

_WAITING = "kpay_after_commit"
_READY = "kpay_after_commit_ready"
_INSERTS: dict[str, Callable[[sa.Table], Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def after_commit(callback: Callable[[], object]) -> None:
    """Call ``callback()`` once the session's outermost transaction has committed.

    The callback runs after the transaction has fully ended, so it may use the session; work
    it leaves uncommitted is rolled back before the next callback runs. An exception in a
    callback is logged, never raised into the code that committed. A rollback of the
    transaction, or of the savepoint the callback was registered in, drops it.
    """
    from kpay.extensions import db

    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_WAITING, {}).setdefault(transaction, []).append(callback)


def insert_once(model, unique: tuple[str, ...], **values) -> int | None:
    """Insert a ``model`` row in the current transaction unless a row with the same values
    in the ``unique`` columns exists; returns the new row's id, or None when taken.

    One ``INSERT ... ON CONFLICT DO NOTHING``: no savepoint, and two concurrent callers with
    the same key get one row (the second waits for the first to commit, then gets None).
    """
    from kpay.extensions import db

    statement = _insert_once_statement(db.session.get_bind().dialect.name, model.__table__, unique)
    return db.session.execute(statement, values).scalar()


def rows_changed(statement: sa.Executable) -> int:
    """How many rows an UPDATE or DELETE ``statement`` changed, run in the current transaction
    (a conditional UPDATE that changed none lost its race)."""
    from kpay.extensions import db

    return cast(sa.CursorResult, db.session.execute(statement)).rowcount


def add_to(instance, **deltas: int) -> None:
    """Add ``deltas`` to ``instance``'s number columns in one ``UPDATE ... SET n = n + d``.

    Never add in Python and write back: that writes a value read earlier, and concurrent writers
    lose each other's updates (F16). The loaded ``instance`` shows the values written.
    """
    from kpay.extensions import db

    model = type(instance)
    db.session.execute(
        sa.update(model).where(model.id == instance.id)
        .values({name: getattr(model, name) + delta for name, delta in deltas.items()})
        .execution_options(synchronize_session="fetch")
    )


@functools.cache
def _insert_once_statement(dialect: str, table: sa.Table, unique: tuple[str, ...]):
    # Built once: composing the statement costs more than running it on the request path.
    return (
        _INSERTS[dialect](table)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(table.c.id)
    )


def _enclosing(transaction: SessionTransaction) -> SessionTransaction:
    """The savepoint or outermost transaction that ``transaction`` commits into."""
    parent = transaction.parent
    while parent.parent is not None and not parent.nested:
        parent = parent.parent
    return parent


@event.listens_for(Session, "after_commit")
def _hand_up(session: Session) -> None:
    waiting = session.info.get(_WAITING)
    if not waiting:
        return
    committed = session.get_nested_transaction() or session.get_transaction()
    callbacks = waiting.pop(committed, [])
    if committed.nested:
        waiting.setdefault(_enclosing(committed), []).extend(callbacks)
    else:
        session.info.setdefault(_READY, []).extend(callbacks)


@event.listens_for(Session, "after_transaction_end")
def _finish(session: Session, transaction: SessionTransaction) -> None:
    # Whatever this transaction still holds was not committed (a commit hands it on first).
    session.info.get(_WAITING, {}).pop(transaction, None)
    if transaction.parent is not None:
        return
    for callback in session.info.pop(_READY, []):
        try:
            callback()
        except Exception:
            log.exception("after-commit callback %r failed", callback)
        if session.in_transaction():
            session.rollback()
