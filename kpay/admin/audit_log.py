"""Admin console: the audit log, newest first; read-only (there is no route that changes it)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa

from kpay.admin.forms import AuditFilters
from kpay.admin.views import bp
from kpay.extensions import db
from kpay.listing import paginate, read_filters
from kpay.members import matching
from kpay.models import AuditEntry, User
from kpay.permissions import require
from kpay.render import render


@bp.route("/audit")
def audit_log():
    """Audit entries filtered by action and actor; htmx gets the table."""
    require("audit.view")
    form, values = read_filters(AuditFilters, choices={"action": logged_actions()})
    query = sa.select(AuditEntry)
    if "action" in values:
        query = query.where(AuditEntry.action == values["action"])
    if "actor" in values:
        query = query.where(AuditEntry.actor_id.in_(sa.select(User.id).where(matching(values["actor"]))))
    listing = paginate(query, "admin.audit_log", values, (AuditEntry.id,), descending=True)
    return render(
        "admin/audit.html", "admin/_audit.html", form=form, listing=listing, actors=actors_of(listing.rows)
    )


# A loose index scan: each step asks the index on ``action`` for the next name up, so the list
# costs one look-up per distinct action, where SELECT DISTINCT reads every entry of the log.
_ACTIONS = sa.text(f"""
WITH RECURSIVE found(action) AS (
  SELECT min(action) FROM {AuditEntry.__tablename__}
  UNION ALL
  SELECT (SELECT min(action) FROM {AuditEntry.__tablename__} WHERE action > found.action)
  FROM found WHERE found.action IS NOT NULL
)
SELECT action FROM found WHERE action IS NOT NULL
""")


def logged_actions() -> list[str]:
    """Every action the log holds, in order (the filter's choices), in one statement whose
    cost grows with the number of kinds of action, not of entries."""
    return list(db.session.scalars(_ACTIONS))


def actors_of(entries: Sequence[AuditEntry]) -> dict[int, User]:
    """The members who made ``entries``, by id, in one query."""
    ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    return {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


@bp.app_template_filter("audit_values")
def audit_values(values: dict) -> str:
    """Before/after values as one line of JSON: a newline in a value shows as ``\\n``."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
