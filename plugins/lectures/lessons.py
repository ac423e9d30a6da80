"""A lecture as a lesson of a course (the ``kpay_lesson_sources`` hook and the ``lesson.source``
slot): which lectures an organizer may link, and what the lesson shows, loaded lazily from
``/live/<id>/lesson``: the lecture's time and, afterwards, its replay to those ``can_access``
lets in (a course that holds the lecture gives its products for it); the meeting link stays on
the lecture's own page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from kpay.api import LessonSource, User, Widget, db, utcnow
from plugins.lectures import access, replays
from plugins.lectures.models import Lecture
from plugins.lectures.zones import in_zone

KIND = "lecture"
OFFERED = 200  # the organizer's latest lectures a lesson may link


def sources(user: User) -> list[LessonSource]:
    """``user``'s lectures that are not cancelled, latest first, for the lesson form."""
    if not user.is_authenticated:
        return []
    rows = db.session.scalars(
        sa.select(Lecture).where(Lecture.creator_id == user.id, Lecture.status == "scheduled")
        .order_by(Lecture.starts_at.desc(), Lecture.id.desc()).limit(OFFERED)
    ).all()
    return [LessonSource(f"{KIND}:{lecture.id}",
                        f"{lecture.title} · {in_zone(lecture.starts_at, lecture.zone):%Y-%m-%d %H:%M} {lecture.zone}",
                        order=i)
            for i, lecture in enumerate(rows)]


def widgets(context: dict) -> list[Widget]:
    """The lecture a lesson links to, loaded lazily (the lesson page sends no statement for it)."""
    kind, _, ident = str(context.get("source", "")).partition(":")
    if kind != KIND or not ident.isdigit():
        return []
    return [Widget(_l("Live lecture"), order=10, lazy_url=url_for("lectures.as_lesson", lecture_id=int(ident)))]


def shown(lecture: Lecture) -> dict:
    """What the lesson shows of ``lecture`` to the current user: its time, then its replay when they have access."""
    allowed = access.manages(lecture) or access.may_attend(lecture)
    replay = allowed and lecture.has_replay and lecture.starts_at <= utcnow()
    return {"lecture": lecture, "allowed": allowed, "replay": replay, "now": utcnow(),
            "replay_src": replays.address(lecture) if replay and lecture.replay_file else None}
