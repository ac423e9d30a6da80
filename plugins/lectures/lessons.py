"""A lecture as a lesson of a course (the ``kpay_lesson_sources`` hook and the ``lesson.source``
slot): which lectures an organizer may link, and what the lesson shows. The lesson shows the
lecture's time and, afterwards, its replay to those ``can_access`` lets in (a course that holds
the lecture gives its products for it); the meeting link stays on the lecture's own page."""

from __future__ import annotations

import sqlalchemy as sa
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


def widgets(context: dict, user) -> list[Widget]:
    """The lecture a lesson links to: its time, then its replay for those with access."""
    kind, _, ident = str(context.get("source", "")).partition(":")
    lecture = db.session.get(Lecture, int(ident)) if kind == KIND and ident.isdigit() else None
    if lecture is None:
        return []
    allowed = access.manages(lecture, user) or access.may_attend(lecture, user)
    replay = allowed and lecture.has_replay and lecture.starts_at <= utcnow()
    return [Widget(_l("Live lecture"), order=10, template="lectures/_lesson.html", context={
        "lecture": lecture, "allowed": allowed, "replay": replay, "now": utcnow(),
        "replay_src": replays.address(lecture) if replay and lecture.replay_file else None,
    })]
