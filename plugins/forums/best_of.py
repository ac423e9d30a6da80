"""The weekly best-of: each circle's most liked topics of last week, put into its members'
e-mail digests as a ``forums.best_of`` notification (digest channel by default)."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import lazy_gettext as _l

from kpay.api import User, db, insert_once, notify, utcnow
from plugins.forums import access
from plugins.forums.models import BestOfRun, Circle, Membership, Topic

TOP = 5
log = logging.getLogger("kpay.forums")


def last_week(now=None) -> tuple[str, object, object]:
    """The ISO week before ``now``: its name (``2026-W47``), start and end (Monday 00:00 UTC)."""
    now = now or utcnow()
    this_monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    start = this_monday - timedelta(days=7)
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}", start, this_monday


def best_topics(circle_id: int, start, end) -> list[Topic]:
    """The circle's most liked visible topics started in [start, end)."""
    return list(db.session.scalars(
        sa.select(Topic).where(Topic.circle_id == circle_id, Topic.status == "visible",
                               Topic.created_at >= start, Topic.created_at < end)
        .order_by(Topic.like_count.desc(), Topic.reply_count.desc(), Topic.id).limit(TOP)
    ).unique())


def send_best_of(now=None) -> int:
    """Sweep: for each circle not yet done for last week, notify its members of its best topics.

    A ``BestOfRun`` row claims (circle, week) in the transaction that adds the notifications,
    so a sweep run twice, or by two workers, sends it once. Returns how many circles were sent.
    Like the core's digests, it waits for ``site_url`` (its links are built without a request).
    """
    if not current_app.config.get("SERVER_NAME") and not has_request_context():
        log.warning("the weekly best-of waits: set site_url so its links can be built")
        return 0
    week, start, end = last_week(now)
    done = db.session.scalars(sa.select(BestOfRun.circle_id).where(BestOfRun.week == week)).all()
    sent = 0
    for circle in db.session.scalars(sa.select(Circle).where(Circle.id.not_in(done)).order_by(Circle.id)).all():
        if insert_once(BestOfRun, ("circle_id", "week"), circle_id=circle.id, week=week, created_at=utcnow()) is None:
            continue
        topics = best_topics(circle.id, start, end)
        if topics:
            members = db.session.scalars(sa.select(User).join(Membership, Membership.user_id == User.id).where(
                Membership.circle_id == circle.id, Membership.active.is_(True), User.status == "active")).all()
            titles = "; ".join(t.title for t in topics)
            for user in members:
                if access.can_see(user, circle):
                    notify(user, "forums.best_of", _l("Best of %(circle)s this week: %(titles)s", circle=circle.name, titles=titles),
                                 url_for("forums.circle", circle_id=circle.id, list="featured"), key=f"forums.best_of:{circle.id}:{week}")
            sent += 1
        db.session.commit()
    return sent
