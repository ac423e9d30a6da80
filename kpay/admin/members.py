"""Admin console: the members list and a member's page, where roles and statuses change."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kpay.admin.audit_log import actors_of
from kpay.admin.forms import MemberFilters
from kpay.admin.views import bp
from kpay.extensions import db
from kpay.listing import paginate, read_filters
from kpay.members import CHANGES, NotChanged, Refused, change_member, matching, may_manage
from kpay.models import ROLES, AuditEntry, User
from kpay.permissions import require
from kpay.render import render

ORDERS = {  # sort -> (keys, descending); each has an index of its own
    "newest": ((User.created_at, User.id), True),
    "oldest": ((User.created_at, User.id), False),
    "name": ((User.display_name, User.id), False),
    "email": ((User.email, User.id), False),
}


@bp.route("/members")
def members():
    """Members found by name or e-mail, role, status and joining date; htmx gets the table."""
    require("members.manage")
    form, values = read_filters(MemberFilters)
    keys, descending = ORDERS[values.get("sort", "newest")]
    # The row as _members.html unpacks it: columns, not User objects.
    query = sa.select(User.id, User.display_name, User.email, User.role, User.status, User.created_at)
    if "q" in values:
        query = query.where(matching(values["q"]))
    if "role" in values:
        query = query.where(User.role == values["role"])
    if "status" in values:
        query = query.where(User.status == values["status"])
    if "joined_since" in values:
        query = query.where(User.created_at >= _midnight(values["joined_since"]))
    if "joined_before" in values:
        query = query.where(User.created_at < _midnight(values["joined_before"]))
    listing = paginate(query, "admin.members", values, keys, descending=descending)
    return render("admin/members.html", "admin/_members.html", form=form, listing=listing)


def _midnight(day) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@bp.route("/members/<int:user_id>")
def member(user_id: int):
    require("members.manage")
    return _member_page(db.get_or_404(User, user_id))


def _member_page(member: User, status: int = 200):
    history = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == User.__tablename__, AuditEntry.target_id == str(member.id))
        .order_by(AuditEntry.id.desc())
        .limit(20)
    ).all()
    return render(
        "admin/member.html", status=status, member=member, roles=ROLES, entries=history,
        actors=actors_of(history), manageable=may_manage(current_user, member),
    )


@bp.route("/members/<int:user_id>/<change>", methods=["POST"])
def change(user_id: int, change: str):
    """Change a member's role, or disable, re-enable or ban them (one audit entry each)."""
    require("members.manage")
    if change not in CHANGES:
        abort(404)
    member = db.get_or_404(User, user_id)
    try:
        change_member(
            current_user._get_current_object(), member, change,
            role=request.form.get("role", ""), reason=request.form.get("reason", ""),
        )
    except Refused:
        abort(403)
    except NotChanged as error:
        flash(str(error), "error")
        return _member_page(member, status=422)
    db.session.commit()
    flash(_("%(name)s was changed; their sessions have ended.", name=member.display_name), "success")
    return redirect(url_for("admin.member", user_id=member.id))
