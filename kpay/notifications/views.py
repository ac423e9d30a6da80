"""The bell, the notifications page, notification settings, unsubscribe links and the
admins' view of sent e-mail."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from kpay.listing import paginate
from kpay.extensions import csrf, db
from kpay.i18n import language
from kpay.input_filter import query_int
from kpay.models import EmailMessage, Notification, User
from kpay.notifications import service
from kpay.notifications.forms import preferences_form
from kpay.permissions import require
from kpay.render import render, wants_partial
from kpay.security import safe_next

bp = Blueprint("notifications", __name__, url_prefix="")

PER_PAGE = 20
OUTBOX_PER_PAGE = 50


@bp.route("/notifications")
@login_required
def index():
    return render("notifications/index.html", "notifications/_list.html", **_list(request.args.get("cursor")))


@bp.route("/notifications/count")
def count():
    """The bell alone, for the layout's poll; a visitor gets an empty placeholder (no poll)."""
    return bell()


def bell(out_of_band: bool = False) -> Markup:
    """The header's bell (``notifications/_bell.html``), the same for every member with as many
    unread notifications: kept per number, page, language and script root for the app's life.
    The number is read on each request, so a new notification shows at once."""
    unread = service.unread_for_current_user() if current_user.is_authenticated else None
    shown = None if unread is None else min(unread, 100)  # the bell says "99+" past 99
    key = (shown, request.endpoint == "notifications.index", out_of_band, language(), request.script_root)
    kept = current_app.extensions.setdefault("kpay_bells", {})
    if key not in kept:
        kept[key] = Markup(render_template("notifications/_bell.html", bell_out_of_band=out_of_band))
    return kept[key]


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    service.mark_read(current_user.id, notification_id)
    db.session.commit()
    return _back_to_list()


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_read():
    service.mark_read(current_user.id)
    db.session.commit()
    return _back_to_list()


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    service.mark_read(current_user.id, notification_id)
    db.session.commit()
    return redirect(safe_next(notification.url, url_for(".index")))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    kinds = list(service.kinds().values())
    current = service.channels(current_user.id)
    form = preferences_form(
        kinds, digest=current_user.digest, **{f"channel-{name}": c for name, c in current.items()}
    )
    if form.validate_on_submit():
        current_user.digest = form.digest.data
        for kind in kinds:
            chosen = form[f"channel-{kind.name}"].data
            if chosen != current[kind.name]:
                service.set_channel(current_user.id, kind.name, chosen)
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for(".preferences"))
    status = 422 if form.errors else 200
    return render("notifications/preferences.html", form=form), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """GET asks to confirm; POST (the button, or a mail provider's RFC 8058 one-click POST,
    which carries no CSRF token: the signed token is the proof) stops those e-mails."""
    found = service.read_unsubscribe_token(token)
    user = db.session.get(User, found[0]) if found else None
    if user is None:
        return render("notifications/unsubscribe.html", valid=False), 400
    topic = found[1]
    label = service.kinds().get(topic)
    context: dict[str, Any] = {"valid": True, "topic": topic, "label": label.label if label else topic}
    if request.method == "POST":
        service.unsubscribe(user, topic)
        db.session.commit()
        return render("notifications/unsubscribe.html", done=True, **context)
    return render("notifications/unsubscribe.html", done=False, **context)


# A mail provider's one-click POST cannot carry a CSRF token (reviewed in tests/csrf_exempt.txt).
csrf.exempt(unsubscribe)


@bp.route("/admin/outbox")
def outbox():
    require("admin.access")
    page = query_int("page", 1)
    messages = db.paginate(
        sa.select(EmailMessage).order_by(EmailMessage.id.desc()),
        page=page, per_page=OUTBOX_PER_PAGE, error_out=False,
    )
    return render("notifications/outbox.html", messages=messages)


@bp.route("/admin/outbox/<int:message_id>")
def outbox_message(message_id: int):
    require("admin.access")
    return render("notifications/outbox_message.html", message=db.get_or_404(EmailMessage, message_id))


def _list(cursor: str | None) -> dict:
    """The template context of the member's notifications at ``cursor`` (None: the newest),
    newest first (read by keyset from an index in that order; nothing counts them all)."""
    query = sa.select(Notification).where(Notification.user_id == current_user.id)
    keys = (Notification.created_at, Notification.id)
    page = paginate(query, "notifications.index", {"cursor": cursor}, keys, descending=True, per_page=PER_PAGE)
    return {"notifications": page}


def _back_to_list():
    """After a change: htmx gets the list (and the bell, out of band); a form post redirects."""
    cursor = request.form.get("cursor") or None
    if wants_partial():
        return render_template("notifications/_list.html", bell_out_of_band=True, **_list(cursor))
    return redirect(url_for(".index", cursor=cursor))
