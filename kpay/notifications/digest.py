"""E-mail digests: the sweep that sends each member's due digest once per period.

A daily digest is due between 07:00 and 08:00 in the member's time zone, a weekly one on
Mondays at that hour; the sweep runs every 15 minutes, so a clock that is late catches up
within the hour, and notifications a missed hour left wait for the next digest. The digest
lists the member's unread ``digest``-channel notifications not yet digested. A ``DigestRun``
row claims (member, period) in the transaction that queues the e-mail and marks the
notifications, so two clocks or workers send it once, and a crash before the commit leaves
it to the next sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from kpay.extensions import db
from kpay.models import DigestRun, Notification, User
from kpay.models.base import utcnow
from kpay.notifications.service import DIGEST, absolute_url, mail_member, member_locale
from kpay.transactions import insert_once

log = logging.getLogger("kpay.notifications")

DIGEST_HOUR = 7
MAX_ITEMS = 50


def send_due_digests() -> int:
    """Send every digest that is due now and not yet sent; returns how many were sent."""
    if not current_app.config.get("SERVER_NAME"):
        log.warning("digests wait: set site_url so their links can be built")
        return 0
    now = utcnow()
    waiting = db.session.scalars(
        sa.select(User).where(
            User.digest.in_(("daily", "weekly")),
            User.status == "active",
            sa.exists().where(_undigested(), Notification.user_id == User.id),
        ).order_by(User.id)
    ).all()
    sent = 0
    for user in waiting:
        period = digest_period(user.digest, now.astimezone(member_zone(user)))
        if period is not None:
            sent += send_digest(user, period)
    return sent


def digest_period(frequency: str, local_now: datetime) -> str | None:
    """The period (``2025-03-04`` daily, ``2025-W10`` weekly) whose digest is due at the
    member's ``local_now``: between 07:00 and 08:00, on Mondays for a weekly one; else None."""
    if local_now.hour != DIGEST_HOUR:
        return None
    if frequency == "daily":
        return local_now.date().isoformat()
    if local_now.weekday() == 0:
        year, week, _ = local_now.isocalendar()
        return f"{year}-W{week:02d}"
    return None


def send_digest(user: User, period: str) -> bool:
    """Claim and send ``user``'s digest for ``period`` and commit; False when it was claimed."""
    if insert_once(DigestRun, ("user_id", "period"), user_id=user.id, period=period) is None:
        db.session.commit()
        return False
    pending = db.session.scalars(
        sa.select(Notification)
        .where(_undigested(), Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    ).all()
    with force_locale(member_locale(user)):
        items = [(item.shown_text, absolute_url(item.url)) for item in pending[:MAX_ITEMS]]
    mail_member(
        user, _l("Your %(site)s digest", site=current_app.config["KPAY"]["site_name"]),
        "digest", f"digest:{user.id}:{period}", DIGEST,
        items=items,
        more=max(len(pending) - MAX_ITEMS, 0),
        list_url=url_for("notifications.index", _external=True),
    )
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_([item.id for item in pending]))
        .values(digested_at=utcnow())
    )
    db.session.commit()
    return True


def member_zone(user: User) -> ZoneInfo:
    """The member's time zone, else the site's."""
    for name in (user.timezone, current_app.config["KPAY"]["timezone"]):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            continue
    return ZoneInfo("UTC")


def _undigested():
    return sa.and_(
        Notification.channel == "digest",
        Notification.digested_at.is_(None),
        Notification.read_at.is_(None),
    )

