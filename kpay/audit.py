"""Recording admin, moderator and security actions in the append-only audit log."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from kpay.extensions import db
from kpay.models.audit import AuditEntry


def record(
    action: str,
    actor=None,
    target=None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (it stands or falls with the change).

    ``action`` is a dotted name (``member.role_changed``, ``auth.login_failed``); ``target``
    a model instance; ``before``/``after`` the changed fields only, never secrets.
    """
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=getattr(target, "__tablename__", None),
        target_id=None if target is None else str(db.inspect(target).identity[0]),
        before=before or {},
        after=after or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
