"""Admin work on members: finding them by name or e-mail, changing their role or status."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from kpay import audit
from kpay.accounts import end_sessions
from kpay.models import ROLES, AuditEntry, User

REASON_MAX = 500
# What each status change sets, and the audit action it is recorded as.
STATUS_CHANGES = {
    "disable": ("disabled", "member.disabled"),
    "enable": ("active", "member.enabled"),
    "ban": ("banned", "member.banned"),
}
CHANGES = ("role", *STATUS_CHANGES)


class Refused(Exception):
    """The actor may not make this change (answered with 403)."""


class NotChanged(ValueError):
    """The change cannot be made as asked; the message says why (shown to the admin)."""


def matching(query: str):
    """A condition: the member's display name or e-mail contains ``query``, any case."""
    return sa.or_(
        User.display_name.icontains(query, autoescape=True),
        User.email.icontains(query, autoescape=True),
    )


def may_manage(actor: User, member: User) -> bool:
    """True when ``actor`` may change ``member``'s role or status.

    Nobody changes themselves; only an owner changes an owner or an admin.
    """
    if actor.id == member.id:
        return False
    return actor.role == "owner" or member.role not in ("owner", "admin")


def change_member(
    actor: User, member: User, change: str, *, role: str = "", reason: str = ""
) -> AuditEntry:
    """Make one admin change, end the member's sessions and return its one audit entry.

    ``change`` is ``role`` (to ``role``), ``disable``, ``enable`` or ``ban`` (``reason``
    required; kept as ``status_reason``). Raises ``Refused`` when ``actor`` may not, and
    ``NotChanged`` when the change is not possible. The caller commits.
    """
    if not may_manage(actor, member) or (role == "owner" and actor.role != "owner"):
        raise Refused
    if member.status == "deleted":
        raise NotChanged(_("This account was deleted; it cannot be changed."))
    if change == "role":
        if role not in ROLES:
            raise NotChanged(_("Unknown role %(role)s.", role=role))
        fields, action = {"role": role}, "member.role_changed"
    elif change in STATUS_CHANGES:
        status, action = STATUS_CHANGES[change]
        reason = reason.strip()
        if change == "ban" and not reason:
            raise NotChanged(_("Say why the member is banned."))
        if len(reason) > REASON_MAX:
            raise NotChanged(_("Keep the reason under %(n)s characters.", n=REASON_MAX))
        fields = {"status": status, "status_reason": "" if status == "active" else reason}
    else:
        raise NotChanged(_("Unknown change %(change)s.", change=change))
    before = {name: getattr(member, name) for name in fields}
    if before == fields:
        raise NotChanged(_("Nothing to change."))
    for name, value in fields.items():
        setattr(member, name, value)
    end_sessions(member)
    return audit.record(action, actor=actor, target=member, before=before, after=fields)
