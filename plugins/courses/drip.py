"""The publishing plan's sweeps: scheduled courses announced once when their time comes, and
members told once when a held-back lesson opens for them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from kpay.api import Notification, User, db, emit, notify, utcnow
from plugins.courses.models import Course, Enrolment, Lesson
from plugins.courses.progress import KIND, path_for

# A lesson that opened longer ago than this is not announced any more (the clock was down).
LOOK_BACK = timedelta(days=7)


def announce_published_courses() -> int:
    """Emit ``course.published`` once for each course whose publishing time has come."""
    now = utcnow()
    courses = db.session.scalars(
        sa.update(Course)
        .where(Course.status == "published", Course.published_at.is_(None),
               sa.or_(Course.publish_at.is_(None), Course.publish_at <= now))
        .values(published_at=now)
        .returning(Course)
    ).all()
    for course in courses:
        emit("course.published", user=db.session.get(User, course.creator_id), subject=course)
    return len(courses)


def announce_opened_lessons(now=None) -> int:
    """Tell each enrolled member once that a held-back lesson has opened for them; how many."""
    now = now or utcnow()
    lessons = db.session.execute(
        sa.select(Lesson, Course).join(Course, Course.id == Lesson.course_id)
        .where(Course.status == "published", sa.or_(Course.publish_at.is_(None), Course.publish_at <= now),
               sa.or_(Lesson.opens_at.is_not(None), Lesson.opens_after_days.is_not(None)))
        .where(sa.or_(Lesson.opens_at.is_(None), Lesson.opens_at.between(now - LOOK_BACK, now)))
    ).all()
    told = 0
    for lesson, course in lessons:
        for user in _due_members(lesson, now):
            notify(user, KIND, _l("A new lesson is open: %(title)s", title=lesson.title),
                   path_for("courses.lesson", course_id=course.id, lesson_id=lesson.id), key=_key(lesson))
            told += 1
    return told


def _key(lesson: Lesson) -> str:
    return f"courses:opened:{lesson.id}"


def _due_members(lesson: Lesson, now) -> list[User]:
    """Enrolled members for whom ``lesson`` opened within ``LOOK_BACK`` and who were not told."""
    query = (
        sa.select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == lesson.course_id, User.status == "active")
        .where(~sa.exists().where(Notification.user_id == User.id, Notification.key == _key(lesson)))
    )
    if lesson.opens_after_days:
        waited = timedelta(days=lesson.opens_after_days)
        query = query.where(Enrolment.enrolled_at <= now - waited)
        if lesson.opens_at is None:  # with both rules, opens_at (recent, see above) bounds it
            query = query.where(Enrolment.enrolled_at > now - LOOK_BACK - waited)
    return db.session.scalars(query.order_by(User.id)).all()
