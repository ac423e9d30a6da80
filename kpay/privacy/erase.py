""""Delete my account": plugins erase their rows, the core anonymises the member's row.

The row itself stays (as ``deleted-<id>@invalid``, "Deleted member"), so the points ledger,
activity log and audit log that point at it are never edited and still balance.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from kpay import audit
from kpay.accounts import end_sessions
from kpay.extensions import db
from kpay.models import EmailMessage, ExportRequest, User
from kpay.privacy.exports import forget_exports
from kpay.privacy.holders import ask_every_holder
from kpay.profiles.avatars import remove_avatar

# Not a hash Werkzeug can match: no password logs in to an erased account.
UNUSABLE_PASSWORD = "!erased"


def is_last_owner(user: User) -> bool:
    """True when ``user`` is the only active owner (the site would have none without them)."""
    if user.role != "owner":
        return False
    owners = db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == "owner", User.status == "active")
    )
    return owners <= 1


def erase_member(user: User) -> None:
    """Erase ``user``: ``kpay_user_data(action="erase")`` of the core and of every plugin
    holding data, enabled or not (``holders``), their exports and e-mails, then their personal
    fields; sessions end; one audit entry. The caller commits, or rolls back on a
    ``DisabledPluginError``.
    """
    ask_every_holder(user, "erase")
    forget_exports(ExportRequest.user_id == user.id)
    db.session.execute(sa.delete(EmailMessage).where(EmailMessage.to_address == user.email))
    remove_avatar(user)
    before = {"status": user.status}
    user.email = f"deleted-{user.id}@invalid"
    with force_locale(current_app.config["KPAY"]["default_locale"]):  # the site's, not the eraser's
        user.display_name = _("Deleted member")
    user.password_hash = UNUSABLE_PASSWORD
    user.status, user.status_reason = "deleted", ""
    user.bio, user.interests, user.digest = "", [], "off"
    user.locale = user.timezone = user.email_confirmed_at = user.last_login_at = None
    end_sessions(user)
    audit.record("member.deleted", actor=user, target=user, before=before, after={"status": "deleted"})
