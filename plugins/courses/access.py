"""Who may see a course and its lessons: visibility, paid access (through ``can_access``) and
the publishing plan (drip). Every course route asks these functions, never its own rules."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import aliased, joinedload

from kpay.api import Order, OrderStatus, Product, Resource, User, can, can_access, db, utcnow
from plugins.courses.models import Course, Enrolment, FormerProduct, Lesson, Review


def manages(course: Course, user=None) -> bool:
    """True when ``user`` (default: the current user) made ``course`` or manages every course."""
    user = current_user if user is None else user
    return bool(user.is_authenticated) and (user.id == course.creator_id or can("courses.manage", user))


def is_public(course: Course, now: datetime | None = None) -> bool:
    """True once ``course`` is published and its publishing time (if any) has come."""
    return course.status == "published" and (course.publish_at is None or course.publish_at <= (now or utcnow()))


# What the course's pages show besides the course, loaded with it in one query.
WITH_COURSE = (joinedload(Course.creator), joinedload(Course.product), joinedload(Course.membership_product),
               joinedload(Course.former_products))


def visible_course(course_id: int) -> Course:
    """The course ``course_id`` (with its creator and products) if the current user may see it
    at all; else 404."""
    course = db.get_or_404(Course, course_id, options=WITH_COURSE)
    if not is_public(course) and not manages(course):
        abort(404)
    return course


class Creator(NamedTuple):
    """What a page shows of a course's creator (or a review's author)."""

    id: int
    display_name: str
    avatar: str | None


class Offer(NamedTuple):
    """What a course page shows of a product that unlocks the course."""

    id: int
    name: str
    price_minor: int
    currency: str
    active: bool


def visible_course_page(course_id: int, lesson_id: int | None = None):
    """(course, enrolment, review, lesson, creator, offers): what ``visible_course`` gives (the
    creator as a ``Creator`` row, the products as ``Offer`` rows by ``one_time`` and
    ``membership``), with the current member's enrolment and review and, for a lesson page,
    lesson ``lesson_id`` (checked as ``visible_lesson`` checks it), all in one statement; 404
    as they do."""
    uid = current_user.id if current_user.is_authenticated else None
    statement = _course_page_statement(uid is not None, lesson_id is not None)
    row = db.session.execute(statement, {"course_id": course_id, "uid": uid, "lesson_id": lesson_id}).unique().first()
    if row is None or (not is_public(row[0]) and not manages(row[0])):
        abort(404)
    if lesson_id is not None and row[3] is None:
        abort(404)
    creator_end, offer = 4 + len(Creator._fields), len(Offer._fields)
    offers = [row[at:at + offer] for at in (creator_end, creator_end + offer)]
    return (*row[:4], Creator(*row[4:creator_end]), {
        name: Offer(*values) if values[0] is not None else None
        for name, values in zip(("one_time", "membership"), offers, strict=True)})


@functools.cache
def _course_page_statement(member: bool, lesson: bool):
    uid = sa.bindparam("uid")
    mine = [Enrolment, Review] if member else [sa.null(), sa.null()]
    one_time, membership = aliased(Product), aliased(Product)
    query = (
        sa.select(Course, *mine, Lesson if lesson else sa.null(), *(getattr(User, name) for name in Creator._fields),
                  *(getattr(product, name) for product in (one_time, membership) for name in Offer._fields))
        .options(joinedload(Course.former_products))
        .join(User, User.id == Course.creator_id)
        .outerjoin(one_time, one_time.id == Course.product_id)
        .outerjoin(membership, membership.id == Course.membership_product_id)
    )
    if member:
        query = query.outerjoin(Enrolment, sa.and_(Enrolment.course_id == Course.id, Enrolment.user_id == uid)
                                ).outerjoin(Review, sa.and_(Review.course_id == Course.id, Review.user_id == uid))
    if lesson:
        query = query.outerjoin(Lesson, sa.and_(Lesson.id == sa.bindparam("lesson_id"), Lesson.course_id == Course.id))
    return query.where(Course.id == sa.bindparam("course_id"))


def visible_lesson(course: Course, lesson_id: int) -> Lesson:
    """Lesson ``lesson_id`` of ``course``; 404 for a lesson of another course."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.course_id != course.id:
        abort(404)
    return lesson


def product_ids(course_id: int) -> list[int] | None:
    """The products that unlock course ``course_id``: its product, its membership product and
    the products it was sold through before; None for a course that does not exist. No query
    for a course the request loaded with ``visible_course``."""
    course = db.session.get(Course, course_id)
    return None if course is None else _products(course)


def resources(keys: list[str]) -> dict[str, tuple[Resource, list[int]]]:
    """``kpay_resources``: the courses among ``keys``, with their products (one statement)."""
    ids = [int(key[7:]) for key in keys if key.startswith("course:") and key[7:].isdigit()]
    if not ids:
        return {}
    courses = db.session.scalars(sa.select(Course).where(Course.id.in_(ids)).options(
        joinedload(Course.former_products))).unique()
    return {f"course:{course.id}": (resource(course), _products(course)) for course in courses}


def _products(course: Course) -> list[int]:
    current = [p for p in (course.product_id, course.membership_product_id) if p is not None]
    return current + [f.product_id for f in course.former_products if f.product_id not in current]


def source_product_ids(keys: list[str]) -> dict[str, list[int]]:
    """The products that unlock the public courses holding each of ``keys`` (another plugin's
    resources, such as ``lecture:12``) as a lesson, whose learners may open it too; keys no
    course holds are left out. One statement."""
    if not keys:
        return {}
    rows = db.session.execute(
        sa.select(Lesson.source, Course.product_id, Course.membership_product_id, FormerProduct.product_id)
        .join(Course, Course.id == Lesson.course_id)
        .outerjoin(FormerProduct, FormerProduct.course_id == Course.id)
        .where(Lesson.source.in_(keys), Course.status == "published",
               sa.or_(Course.publish_at.is_(None), Course.publish_at <= utcnow()))
    ).all()
    held: dict[str, set[int]] = {}
    for key, *product_ids in rows:
        held.setdefault(key, set()).update(pid for pid in product_ids if pid is not None)
    return {key: sorted(product_ids) for key, product_ids in held.items()}


def resource(course: Course, lesson: Lesson | None = None) -> Resource:
    """What ``can_access`` is asked about: the course, free when it is, or a free-preview lesson."""
    free = course.free or (lesson is not None and lesson.preview)
    return Resource("course", course.id, creator_id=course.creator_id, free=free)


def has_course(course: Course, user=None) -> bool:
    """True when the user may open every (opened) lesson of ``course``."""
    return can_access(current_user if user is None else user, resource(course))


def bought(product_ids: list[int], user_id) -> sa.ColumnElement[bool]:
    """SQL: ``user_id`` (a value or a column) paid for one of ``product_ids`` and got none of
    it back: a completed, unrefunded purchase."""
    return sa.exists().where(
        Order.user_id == user_id, Order.product_id.in_(product_ids), Order.status == OrderStatus.PAID,
        Order.refunded_minor == 0,
    )


def may_review(course: Course, user=None) -> bool:
    """True when the user may review ``course``: enrolled, and holding it now or having bought
    it (a refund, or a membership that ended, takes that away)."""
    user = current_user if user is None else user
    if enrolment_of(course, user) is None:
        return False
    return has_course(course, user) or bool(db.session.scalar(sa.select(bought(product_ids(course.id), user.id))))


def enrolment_of(course: Course, user=None) -> Enrolment | None:
    user = current_user if user is None else user
    if not user.is_authenticated:
        return None
    return db.session.scalar(sa.select(Enrolment).filter_by(course_id=course.id, user_id=user.id))


def opens_at(lesson: Lesson, enrolment: Enrolment | None) -> datetime | None:
    """When ``lesson`` opens for a member with ``enrolment``; None when it needs an enrolment
    they do not have (it opens a number of days after enrolling)."""
    moments = [lesson.opens_at] if lesson.opens_at else []
    if lesson.opens_after_days:
        if enrolment is None:
            return None
        moments.append(enrolment.enrolled_at + timedelta(days=lesson.opens_after_days))
    return max(moments, default=datetime.min.replace(tzinfo=utcnow().tzinfo))


@dataclass(frozen=True)
class LessonState:
    """Whether a lesson is open to the viewer, and if not, why: ``buy`` (no access),
    ``enrol`` (opens some days after enrolling) or ``later`` (opens at ``opens``)."""

    open: bool
    reason: str = ""
    opens: datetime | None = None


def lesson_state(course: Course, lesson: Lesson, enrolment: Enrolment | None, owns: bool, manager: bool,
                 now: datetime | None = None) -> LessonState:
    """The state of ``lesson`` for a viewer who ``owns`` the course (has access) or not."""
    if manager:
        return LessonState(True)
    if not (owns or lesson.preview or course.free):
        return LessonState(False, "buy")
    when = opens_at(lesson, enrolment)
    if when is None:
        return LessonState(False, "enrol", None)
    if when > (now or utcnow()):
        return LessonState(False, "later", when)
    return LessonState(True)


def lesson_access(course: Course, lesson: Lesson) -> tuple[LessonState, Enrolment | None]:
    """The current user's state for one lesson, asking ``can_access`` about that lesson."""
    enrolment = enrolment_of(course)
    manager = manages(course)
    owns = can_access(current_user, resource(course, lesson))
    return lesson_state(course, lesson, enrolment, owns, manager), enrolment
