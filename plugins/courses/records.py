"""The courses' records for others: search documents, and a member's data to export or erase."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from kpay.api import ActivityEvent, SearchDocument, db
from plugins.courses.access import is_public
from plugins.courses.models import Completion, Course, Enrolment, HelpfulVote, Lesson, Review
from plugins.courses.progress import path_for


def search_documents(since) -> Iterator[SearchDocument]:
    """Courses and lessons changed after ``since`` (all when None): free-preview lessons and
    free courses are public, paid lesson bodies are for ``course:<id>``; drafts are gone, and
    so are the lessons deleted after ``since`` (named by their ``lesson.deleted`` events)."""
    query = sa.select(Course).options(joinedload(Course.creator))
    if since is not None:
        query = query.where(Course.updated_at > since)
    for course in db.session.scalars(query.order_by(Course.id)):
        public = is_public(course)
        yield SearchDocument(
            "course", str(course.id), course.title, f"{course.subtitle}\n{course.description}" if public else "",
            path_for("courses.course", course_id=course.id), "public" if public else "gone", course.updated_at,
            **_where(course),
        )
    lessons = sa.select(Lesson, Course).join(Course, Course.id == Lesson.course_id).options(joinedload(Course.creator))
    if since is not None:
        lessons = lessons.where(sa.or_(Lesson.updated_at > since, Course.updated_at > since))
    for lesson, course in db.session.execute(lessons.order_by(Lesson.id)):
        if not is_public(course):
            visibility, body = "gone", ""
        else:
            visibility = "public" if lesson.preview or course.free else f"course:{course.id}"
            body = lesson.body
        yield SearchDocument(
            "lesson", str(lesson.id), lesson.title, body,
            path_for("courses.lesson", course_id=course.id, lesson_id=lesson.id), visibility,
            max(lesson.updated_at, course.updated_at), **_where(course),
        )
    if since is not None:
        deleted = db.session.execute(
            sa.select(ActivityEvent.subject_id, ActivityEvent.created_at)
            .where(ActivityEvent.name == "lesson.deleted", ActivityEvent.created_at > since)
        )
        for lesson_id, when in deleted:
            yield SearchDocument("lesson", lesson_id, "", "", "", "gone", when)


def _where(course: Course) -> dict:
    """The course and its creator, as a search document names them."""
    creator = course.creator
    return {"place": f"course:{course.id}", "place_title": course.title, "author_id": course.creator_id,
            "author": creator.display_name if creator else ""}


def export(user) -> dict | None:
    """The member's enrolments, completed lessons and reviews, or None when there are none."""
    enrolments = db.session.execute(
        sa.select(Enrolment, Course.title).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user.id).order_by(Enrolment.id)
    ).all()
    reviews = db.session.execute(
        sa.select(Review, Course.title).join(Course, Course.id == Review.course_id)
        .where(Review.user_id == user.id).order_by(Review.id)
    ).all()
    if not enrolments and not reviews:
        return None
    completed = db.session.execute(
        sa.select(Completion.course_id, Completion.lesson_id, Completion.created_at)
        .where(Completion.user_id == user.id).order_by(Completion.id)
    ).all()
    return {
        "enrolments": [{
            "course": title, "course_id": e.course_id, "enrolled_at": e.enrolled_at, "percent": e.percent,
            "completed_at": e.completed_at, "certificate_code": e.certificate_code,
        } for e, title in enrolments],
        "completed_lessons": [{"course_id": c, "lesson_id": lesson, "at": at} for c, lesson, at in completed],
        "reviews": [{"course": title, "rating": r.rating, "text": r.text, "created_at": r.created_at}
                    for r, title in reviews],
    }


def erase(user) -> None:
    """Delete the member's enrolments, completions, reviews and votes, keeping the courses'
    counters true. Courses the member made stay (buyers paid for them)."""
    for review in db.session.scalars(sa.select(Review).where(Review.user_id == user.id)):
        db.session.execute(sa.update(Course).where(Course.id == review.course_id).values(
            rating_count=Course.rating_count - 1, rating_sum=Course.rating_sum - review.rating))
    enrolled = db.session.scalars(sa.select(Enrolment.course_id).where(Enrolment.user_id == user.id)).all()
    if enrolled:
        db.session.execute(sa.update(Course).where(Course.id.in_(enrolled))
                           .values(learner_count=Course.learner_count - 1))
    for model in (HelpfulVote, Review, Completion, Enrolment):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))
