"""The courses as the recommendations plugin sees them (``kpay_recs_items``/``kpay_recs_signals``,
declared by that plugin): published courses with their public card, and members' enrolments
and completions as signals."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from kpay.api import Product, db, utcnow
from plugins.courses.access import resource
from plugins.courses.models import Course, Enrolment
from plugins.courses.progress import path_for


def items(item) -> Iterator:
    """Every published course whose publishing time has come: title, subtitle and price only."""
    url = path_for("courses.course", course_id=0)[:-1]
    query = (sa.select(Course).options(joinedload(Course.product))
             .where(Course.status == "published", sa.or_(Course.publish_at.is_(None), Course.publish_at <= utcnow())))
    for course in db.session.scalars(query.order_by(Course.id)):
        product: Product | None = course.product
        yield item(kind="course", id=course.id, title=course.title, url=f"{url}{course.id}", resource=resource(course),
                   summary=course.subtitle, price_minor=product.price_minor if product else None,
                   currency=product.currency if product else "", creator_id=course.creator_id,
                   tags=tuple(course.tag_list), features=(f"level:{course.level}", f"lang:{course.language}"),
                   created_at=course.publish_at or course.created_at)


def signals(signal) -> Iterator:
    """Enrolments (weight 2) and completed courses (weight 3)."""
    rows = db.session.execute(sa.select(Enrolment.user_id, Enrolment.course_id, Enrolment.enrolled_at,
                                        Enrolment.completed_at))
    for uid, course_id, enrolled_at, completed_at in rows:
        yield signal(user_id=uid, key=f"course:{course_id}", action="enrolled", at=enrolled_at, weight=2.0)
        if completed_at is not None:
            yield signal(user_id=uid, key=f"course:{course_id}", action="completed", at=completed_at, weight=3.0)
