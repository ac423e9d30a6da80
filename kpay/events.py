"""Activity events: appended to the log with the change, announced after it commits."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from kpay.extensions import db
from kpay.models import ActivityEvent
from kpay.transactions import after_commit
from kpay.types import Event

log = logging.getLogger("kpay.events")


def emit(name: str, user=None, subject=None, **data: Any) -> ActivityEvent:
    """Record event ``name`` (e.g. ``"course.completed"``) in the current transaction.

    ``subject`` is the model instance it is about (its table name and primary key are kept);
    ``data`` are JSON values. Plugins hear of it through ``kpay_event`` once the transaction
    commits, and never if it rolls back.
    """
    row = ActivityEvent(
        name=name,
        user_id=getattr(user, "id", None),
        subject_type=getattr(subject, "__tablename__", None),
        subject_id=None if subject is None else str(db.inspect(subject).identity[0]),
        data=data,
    )
    db.session.add(row)
    db.session.flush()
    event = Event(row.id, name, row.user_id, row.subject_type, row.subject_id, data, row.created_at)
    pm = current_app.extensions["kpay"].pm
    after_commit(lambda: _announce(pm, event))
    return row


def _announce(pm, event: Event) -> None:
    """Call each plugin's ``kpay_event``, committing what it did (jobs it enqueued, say).

    Each plugin runs on its own: one that raises is logged and its work rolled back, and the
    others still hear of the event.
    """
    for impl in reversed(pm.hook.kpay_event.get_hookimpls()):
        try:
            impl.function(**{arg: event for arg in impl.argnames})
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("plugin %s failed on event %s #%s", impl.plugin_name, event.name, event.id)
