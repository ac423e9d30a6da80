"""Enrolling, completing lessons, progress percent, milestone notifications and certificates.

Each effect happens once: an enrolment and a completion are unique rows inserted with
``insert_once``, counters move only when such a row was new, and milestone notices carry a key.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from kpay.api import User, db, emit, insert_once, notify, utcnow
from plugins.courses.models import Completion, Course, Enrolment, FormerProduct, Lesson

KIND = "courses"
MILESTONES = (30, 50, 100)


def path_for(endpoint: str, **values) -> str:
    """The path of ``endpoint`` on this site, also outside a request (in the worker's clock)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def enrol(user: User, course: Course, now=None) -> Enrolment:
    """``user``'s enrolment in ``course``, made (and announced) once."""
    now = now or utcnow()
    new_id = insert_once(
        Enrolment, ("course_id", "user_id"), course_id=course.id, user_id=user.id, completed_count=0,
        percent=0, enrolled_at=now, updated_at=now,
    )
    if new_id is not None:
        db.session.execute(
            sa.update(Course).where(Course.id == course.id).values(learner_count=Course.learner_count + 1)
        )
        emit("course.enrolled", user=user, subject=course)
    return db.session.scalar(sa.select(Enrolment).filter_by(course_id=course.id, user_id=user.id))


def enrol_buyer(user_id: int, product_id: int) -> int:
    """Enrol the buyer of ``product_id`` in every course it unlocks; returns how many."""
    former = sa.select(FormerProduct.course_id).where(FormerProduct.product_id == product_id)
    courses = db.session.scalars(sa.select(Course).where(sa.or_(
        Course.product_id == product_id, Course.membership_product_id == product_id, Course.id.in_(former),
    ))).all()
    user = db.session.get(User, user_id)
    for course in courses:
        enrol(user, course)
    return len(courses)


def lesson_count(course_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(Lesson.id)).where(Lesson.course_id == course_id)) or 0


def complete(user: User, course: Course, lesson: Lesson, enrolment: Enrolment) -> bool:
    """Record that ``user`` completed ``lesson``; False when they already had.

    Moves the enrolment's progress, sends the milestone notices it passes (30, 50, 100 %,
    each once) and, at 100 %, finishes the course (event, certificate).
    """
    now = utcnow()
    new_id = insert_once(
        Completion, ("lesson_id", "user_id"), lesson_id=lesson.id, course_id=course.id, user_id=user.id,
        created_at=now,
    )
    enrolment.last_lesson_id = lesson.id
    enrolment.updated_at = now
    if new_id is None:
        return False
    lessons = lesson_count(course.id)
    emit("lesson.completed", user=user, subject=lesson, course_id=course.id, lessons=lessons,
         course_title=course.title, course_owner_id=course.creator_id)
    done = db.session.scalar(sa.select(sa.func.count(Completion.id)).where(
        Completion.course_id == course.id, Completion.user_id == user.id,
    ))
    before = enrolment.percent
    enrolment.completed_count = done
    enrolment.percent = min(100, done * 100 // max(lessons, 1))
    url = path_for("courses.course", course_id=course.id)
    for milestone in MILESTONES:
        if before < milestone <= enrolment.percent:
            notify(user, KIND,
                   _l("Congratulations, you have completed %(percent)s%% of the course!", percent=milestone),
                   url, key=f"courses:{course.id}:progress:{milestone}")
    if enrolment.percent == 100 and enrolment.completed_at is None:
        finish(user, course, enrolment, now)
    return True


def finish(user: User, course: Course, enrolment: Enrolment, now) -> None:
    """Mark the course completed and, if the course gives them, issue the certificate."""
    enrolment.completed_at = now
    if course.certificates and enrolment.certificate_code is None:
        enrolment.certificate_code = secrets.token_hex(6).upper()
    emit("course.completed", user=user, subject=course)


def learning(user: User, limit: int = 12) -> list[tuple[Course, Enrolment]]:
    """The member's courses: unfinished ones first, each group most recently studied first
    (one statement)."""
    if not user.is_authenticated:
        return []
    return db.session.execute(
        sa.select(Course, Enrolment).join(Enrolment, Enrolment.course_id == Course.id)
        .where(Enrolment.user_id == user.id)
        .order_by(Enrolment.completed_at.is_not(None), Enrolment.updated_at.desc(), Enrolment.id.desc())
        .limit(limit)
    ).all()


def forget_lesson(course: Course, lesson: Lesson) -> None:
    """Delete ``lesson`` with its completions, and recompute every learner's progress over the
    lessons left in a fixed number of statements; a learner who has now done them all finishes
    the course. What was already given (certificates, notices, ``completed_at``) stays."""
    db.session.execute(sa.delete(Completion).where(Completion.lesson_id == lesson.id))
    db.session.execute(sa.update(Enrolment).where(Enrolment.last_lesson_id == lesson.id).values(last_lesson_id=None))
    db.session.execute(sa.delete(Lesson).where(Lesson.id == lesson.id))
    left = lesson_count(course.id)
    done = (sa.select(sa.func.count(Completion.id)).where(
        Completion.course_id == Enrolment.course_id, Completion.user_id == Enrolment.user_id).scalar_subquery())
    db.session.execute(sa.update(Enrolment).where(Enrolment.course_id == course.id).values(
        completed_count=done, percent=sa.case((done >= left, 100), else_=done * 100 // left) if left else 0,
    ).execution_options(synchronize_session=False))
    finished = db.session.execute(
        sa.select(User, Enrolment).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id, Enrolment.percent == 100, Enrolment.completed_at.is_(None))
        .execution_options(populate_existing=True)
    ).all()
    for user, enrolment in finished:
        finish(user, course, enrolment, utcnow())
