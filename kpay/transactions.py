"""Run code after the current database transaction commits, and never if it rolls back."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING = "kpay_after_commit"
_READY = "kpay_after_commit_ready"


def after_commit(callback: Callable[[], object]) -> None:
    """Call ``callback()`` once the session's current transaction has committed.

    The callback runs when the transaction has fully ended, so it may use the session again
    (and commit; callbacks registered meanwhile run after that commit). A rollback drops it.
    """
    from kpay.extensions import db

    db.session().info.setdefault(_PENDING, []).append(callback)


@event.listens_for(Session, "after_commit")
def _mark_ready(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _run_ready(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    ready = session.info.pop(_READY, [])
    for callback in ready:
        callback()
