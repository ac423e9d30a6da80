"""``notify``: tell a member something, in the bell and by e-mail as they chose.

Channels per kind: ``in_app`` shows it in the bell and on /notifications; ``email`` also
e-mails it at once; ``digest`` also lists it in the next e-mail digest; ``off`` stores
nothing at all (the member asked not to hear of that kind, so it is not shown either).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, g, has_app_context, url_for
from flask_babel import force_locale
from flask_babel.speaklater import LazyString
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from kpay.config import LOCALES
from kpay.extensions import db
from kpay.mail import send_email
from kpay.models import Notification, NotificationPreference, User
from kpay.models.notifications import MESSAGE_FUNCTIONS
from kpay.models.base import utcnow
from kpay.models.notifications import unread_count_query
from kpay.plugins import hook
from kpay.security import safe_next
from kpay.transactions import insert_once, rows_changed
from kpay.types import NotificationKind

DIGEST = "digest"  # the unsubscribe topic of digest e-mails; other topics are kinds
SUBJECT_MAX = 200


def member_locale(user: User) -> str:
    """The language ``user`` reads: their own if this site has it, else the site's default."""
    return user.locale if user.locale in LOCALES else current_app.config["KPAY"]["default_locale"]


def notify(user: User, kind: str, text, url: str, *, key: str | None = None) -> int | None:
    """Notify ``user`` of ``text`` (plain text, or a lazy string rendered in the member's
    language) linking to ``url`` (a path on this site); returns the new notification's id, or
    None when ``key`` was used for this member or the member turned ``kind`` off.

    The member's channel for ``kind`` decides the rest (see the module). An e-mail is sent in
    the member's language after the caller commits. Raises ``ValueError`` for an undeclared
    kind (see the ``kpay_notification_kinds`` hook).
    """
    if kind not in kinds():
        raise ValueError(f"notification kind {kind!r} is not declared")
    message = stored_message(text, member_locale(user))
    if not isinstance(text, str):
        with force_locale(member_locale(user)):
            text = str(text)
    channel = channels(user.id)[kind]
    if channel == "off":
        return None
    email_now = channel == "email" and user.is_active
    now = utcnow()
    notification_id = insert_once(
        Notification, ("user_id", "key"),
        user_id=user.id, kind=kind, channel=channel, text=text, message=message, url=safe_next(url),
        key=key, created_at=now, emailed_at=now if email_now else None,
    )
    _bell_changed()
    if notification_id is not None and email_now:
        site = current_app.config["KPAY"]["site_name"]
        mail_member(
            user, f"[{site}] {text}", "notification", f"notification:{notification_id}", kind,
            text=text, link=absolute_url(safe_next(url)),
        )
    return notification_id


def stored_message(text, locale: str) -> dict | None:
    """What a lazy string is made of (function, msgid and parameters, JSON values), so the
    notice can be translated again for its reader; None for plain text. A parameter that is
    itself a lazy string, or no JSON value, is kept as rendered in ``locale``."""
    if not isinstance(text, LazyString) or text._func.__name__ not in MESSAGE_FUNCTIONS:
        return None
    with force_locale(locale):
        params = {
            name: value if isinstance(value, int | float | str) else str(value)
            for name, value in text._kwargs.items()
        }
    return {"func": text._func.__name__, "args": list(text._args), "params": params}


def kinds() -> dict[str, NotificationKind]:
    """Every declared notification kind by name, in ``order`` then name."""
    found = [kind for group in hook().kpay_notification_kinds() for kind in group or ()]
    return {kind.name: kind for kind in sorted(found, key=lambda kind: (kind.order, kind.name))}


def channels(user_id: int) -> dict[str, str]:
    """The member's channel for every declared kind: their choice, else the kind's default."""
    chosen = dict(db.session.execute(
        sa.select(NotificationPreference.kind, NotificationPreference.channel)
        .where(NotificationPreference.user_id == user_id)
    ).all())
    return {name: chosen.get(name, kind.default_channel) for name, kind in kinds().items()}


def set_channel(user_id: int, kind: str, channel: str) -> None:
    """Record the member's ``channel`` for ``kind`` (the caller commits)."""
    preference = db.session.scalar(
        sa.select(NotificationPreference)
        .where(NotificationPreference.user_id == user_id, NotificationPreference.kind == kind)
    )
    if preference is None:
        db.session.add(NotificationPreference(user_id=user_id, kind=kind, channel=channel))
    else:
        preference.channel = channel


def unread_count(user_id: int) -> int:
    """How many of the member's notifications are unread, counted up to ``BELL_MAX + 1``."""
    return db.session.scalar(sa.select(unread_count_query(user_id)))


def unread_for_current_user() -> int:
    """The bell's number (templates call it only for a logged-in member): the one loaded with
    the member at log-in time, unless this request changed their notifications since."""
    if "unread_notifications" not in g:
        g.unread_notifications = unread_count(current_user.id)
    return g.unread_notifications


def _bell_changed() -> None:
    if has_app_context():
        g.pop("unread_notifications", None)


def mark_read(user_id: int, notification_id: int | None = None) -> int:
    """Mark one of the member's notifications read, or all of them; returns how many changed."""
    statement = sa.update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    _bell_changed()
    return rows_changed(statement.values(read_at=utcnow()))


def mail_member(user: User, subject, template: str, key: str, topic: str, **context) -> bool:
    """E-mail ``user`` in their language with a one-click unsubscribe from ``topic`` (a kind,
    or ``DIGEST``); ``subject`` may be a lazy string. See ``kpay.mail.send_email``."""
    locale = member_locale(user)
    unsubscribe = url_for(
        "notifications.unsubscribe", token=unsubscribe_token(user.id, topic), _external=True
    )
    with force_locale(locale):
        subject = str(subject)
    return send_email(
        user.email, subject[:SUBJECT_MAX], template, key=key, locale=locale,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        name=user.display_name, unsubscribe_url=unsubscribe,
        settings_url=url_for("notifications.preferences", _external=True), **context,
    )


def absolute_url(path: str) -> str:
    """``path`` (a path on this site) as an absolute URL, for e-mails."""
    root = urlsplit(url_for("notifications.index", _external=True))
    return f"{root.scheme}://{root.netloc}{path}"


def unsubscribe_token(user_id: int, topic: str) -> str:
    """A signed token that stops e-mails about ``topic`` to member ``user_id``; it never expires,
    so links in old e-mails keep working."""
    return _unsubscribe_serializer().dumps([user_id, topic])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """The (member id, topic) a token was signed for, or None when it is not genuine."""
    try:
        user_id, topic = _unsubscribe_serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    return (user_id, topic) if isinstance(user_id, int) and isinstance(topic, str) else None


def unsubscribe(user: User, topic: str) -> None:
    """Stop e-mails about ``topic``: the digest is turned off, or the kind goes back to the
    bell only. Nothing else changes (the caller commits)."""
    if topic == DIGEST:
        user.digest = "off"
    elif channels(user.id).get(topic) in ("email", "digest"):
        set_channel(user.id, topic, "in_app")


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="unsubscribe")
