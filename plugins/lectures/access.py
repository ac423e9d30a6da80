"""Who may see a lecture, attend it, and see its meeting link. Every lectures route asks these
functions; paid access is decided by ``can_access`` alone."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import abort, current_app
from flask_login import current_user
from sqlalchemy.orm import joinedload

from kpay.api import Resource, can, can_access, db, hook, utcnow
from plugins.lectures.models import Lecture, Rsvp


def settings() -> dict:
    """The plugin's settings from kpay.toml."""
    return current_app.config["KPAY"]["plugins"]["lectures"]


def manages(lecture: Lecture, user=None) -> bool:
    """True when ``user`` (default: the current user) organizes ``lecture`` or manages every lecture."""
    user = current_user if user is None else user
    return bool(user.is_authenticated) and (user.id == lecture.creator_id or can("lectures.manage", user))


def visible_lecture(lecture_id: int) -> Lecture:
    """Lecture ``lecture_id`` with its organizer (cancelled ones too, which say so); else 404."""
    return db.get_or_404(Lecture, lecture_id, options=[joinedload(Lecture.creator)])


def lecture_with_rsvp(lecture_id: int) -> tuple[Lecture, Rsvp | None]:
    """Lecture ``lecture_id`` with its organizer (as ``visible_lecture``) and the current
    member's RSVP, in one statement; else 404."""
    uid = current_user.id if current_user.is_authenticated else None
    row = db.session.execute(
        sa.select(Lecture, Rsvp).options(joinedload(Lecture.creator))
        .outerjoin(Rsvp, sa.and_(Rsvp.lecture_id == Lecture.id, Rsvp.user_id == uid)).where(Lecture.id == lecture_id)
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


def resource(lecture: Lecture) -> Resource:
    """What ``can_access`` is asked about: the lecture, free when no product sells it."""
    return Resource("lecture", lecture.id, creator_id=lecture.creator_id, free=lecture.free)


def product_ids(lecture_id: int) -> list[int] | None:
    """The products that unlock lecture ``lecture_id``: its own, and those of the courses that
    hold it as a lesson (``kpay_lesson_source_products``); None for a lecture that does not exist."""
    lecture = db.session.get(Lecture, lecture_id)
    return None if lecture is None else _products([lecture])[resource(lecture).key]


def resources(keys: list[str]) -> dict[str, tuple[Resource, list[int]]]:
    """``kpay_resources``: the lectures among ``keys``, with their products (two statements)."""
    ids = [int(key[8:]) for key in keys if key.startswith("lecture:") and key[8:].isdigit()]
    if not ids:
        return {}
    lectures = list(db.session.scalars(sa.select(Lecture).where(Lecture.id.in_(ids))))
    products = _products(lectures)
    return {resource(lecture).key: (resource(lecture), products[resource(lecture).key]) for lecture in lectures}


def _products(lectures: list[Lecture]) -> dict[str, list[int]]:
    """Each lecture's products by its key: its own, then those of the courses holding it."""
    held: dict[str, list[int]] = {}
    for group in hook().kpay_lesson_source_products(keys=[resource(lecture).key for lecture in lectures]):
        for key, product_ids in (group or {}).items():
            held.setdefault(key, []).extend(product_ids)
    products = {}
    for lecture in lectures:
        own = [p for p in (lecture.product_id, lecture.membership_product_id) if p is not None]
        products[resource(lecture).key] = own + [p for p in dict.fromkeys(held.get(resource(lecture).key, [])) if p not in own]
    return products


def may_attend(lecture: Lecture, user=None) -> bool:
    """True when a signed-in ``user`` may take a seat: free, bought, or unlocked by a membership."""
    user = current_user if user is None else user
    return bool(user.is_authenticated) and can_access(user, resource(lecture))


def rsvp_of(lecture: Lecture, user=None) -> Rsvp | None:
    user = current_user if user is None else user
    if not user.is_authenticated:
        return None
    return db.session.scalar(sa.select(Rsvp).filter_by(lecture_id=lecture.id, user_id=user.id))


def link_opens_at(lecture: Lecture) -> datetime:
    """From when confirmed attendees see the meeting link."""
    return lecture.starts_at - timedelta(minutes=settings()["link_minutes_before"])


def shows_link(lecture: Lecture, rsvp: Rsvp | None, user=None, now: datetime | None = None) -> bool:
    """True when the meeting link may be shown to ``user``: the organizer, or a confirmed
    (``going``) attendee who has access, from ``link_opens_at`` until the lecture ends."""
    user = current_user if user is None else user
    if lecture.status != "scheduled" or not lecture.meeting_url:
        return False
    if manages(lecture, user):
        return True
    now = now or utcnow()
    return (rsvp is not None and rsvp.status == "going" and rsvp.user_id == getattr(user, "id", None)
            and link_opens_at(lecture) <= now <= lecture.ends_at and may_attend(lecture, user))


def require_attendee(lecture: Lecture, rsvp: Rsvp | None) -> Rsvp | None:
    """The current member's ``rsvp`` when they may take part (ask, vote): going or waiting with
    access, or the organizer (None); 403 otherwise."""
    if manages(lecture):
        return rsvp
    if rsvp is None or rsvp.status == "not_going" or not may_attend(lecture):
        abort(403)
    return rsvp


def path_for(endpoint: str, **values) -> str:
    """The path of ``endpoint`` on this site, also outside a request (in the worker's clock)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)
