"""Engagement, the seed's U = (I + D + C) / T, per member, for operators (see README.md for
the exact definition the analytics plugin matches).

Over a period of T days ending now, from the activity log (``activity_events``):

- I, interactions: ``reply.created`` + ``post.liked`` (likes given) + ``answer.accepted``
  (counted for the answer's author) events of the member;
- D, discussions: ``topic.created`` events + distinct topics replied to (``reply.created``'s
  ``topic_id``);
- C, course completion: for each course in which the member completed a lesson in the period,
  the distinct lessons completed (ever, up to now) over the course's lessons, at most 1.

The sweep keeps the last period's U and the one before it; "at risk" are the members whose U
fell most.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from kpay.api import User, db, insert_once, utcnow
from plugins.gamification.models import Engagement

_events = sa.table("activity_events", sa.column("name"), sa.column("user_id"), sa.column("subject_id"),
                   sa.column("data", sa.JSON), sa.column("created_at"))
_lessons = sa.table("courses_lessons", sa.column("id"), sa.column("course_id"))
INTERACTIONS = ("reply.created", "post.liked")


def period_days() -> int:
    return current_app.config["KPAY"]["plugins"]["gamification"]["engagement_days"]


def scores(start: datetime, end: datetime) -> dict[int, tuple[int, int, float, float]]:
    """{member: (I, D, C, U)} for the period [start, end)."""
    days = max((end - start).days, 1)
    i: dict[int, int] = defaultdict(int)
    d: dict[int, int] = defaultdict(int)
    topics: dict[int, set] = defaultdict(set)
    courses: dict[int, set] = defaultdict(set)
    rows = db.session.execute(sa.select(_events.c.name, _events.c.user_id, _events.c.data).where(
        _events.c.created_at >= start, _events.c.created_at < end,
        _events.c.name.in_((*INTERACTIONS, "answer.accepted", "topic.created", "lesson.completed"))))
    for name, user_id, data in rows:
        data = data or {}
        if name == "answer.accepted":
            if data.get("author_id"):
                i[data["author_id"]] += 1
            continue
        if user_id is None:
            continue
        if name in INTERACTIONS:
            i[user_id] += 1
            if name == "reply.created" and data.get("topic_id"):
                topics[user_id].add(data["topic_id"])
        elif name == "topic.created":
            d[user_id] += 1
        elif name == "lesson.completed" and data.get("course_id"):
            courses[user_id].add(data["course_id"])
    c = _completion(courses, end)
    members = set(i) | set(d) | set(topics) | set(c)
    return {m: (i[m], d[m] + len(topics[m]), c.get(m, 0.0), (i[m] + d[m] + len(topics[m]) + c.get(m, 0.0)) / days)
            for m in members}


def _completion(courses: dict[int, set], end: datetime) -> dict[int, float]:
    """Σ over the member's courses of (distinct lessons completed up to ``end``) / (lessons)."""
    wanted = {course for found in courses.values() for course in found}
    if not wanted:
        return {}
    totals = dict(db.session.execute(sa.select(_lessons.c.course_id, sa.func.count(_lessons.c.id))
                                     .where(_lessons.c.course_id.in_(wanted)).group_by(_lessons.c.course_id)).all())
    done: dict[tuple[int, int], set] = defaultdict(set)
    for user_id, lesson, data in db.session.execute(sa.select(_events.c.user_id, _events.c.subject_id, _events.c.data)
                                                    .where(_events.c.name == "lesson.completed",
                                                           _events.c.user_id.in_(list(courses)), _events.c.created_at < end)):
        course = (data or {}).get("course_id")
        if course in wanted:
            done[(user_id, course)].add(lesson)
    result: dict[int, float] = defaultdict(float)
    for user_id, found in courses.items():
        for course in found:
            if totals.get(course):
                result[user_id] += min(1.0, len(done[(user_id, course)]) / totals[course])
    return result


def sweep() -> None:
    """Sweep (daily): each member's U for the last period and the one before it."""
    now = utcnow()
    days = period_days()
    current = scores(now - timedelta(days=days), now)
    before = scores(now - timedelta(days=2 * days), now - timedelta(days=days))
    for member in set(current) | set(before):
        i, d, c, u = current.get(member, (0, 0, 0.0, 0.0))
        previous = before.get(member, (0, 0, 0.0, 0.0))[3]
        insert_once(Engagement, ("user_id",), user_id=member, computed_at=now)
        db.session.execute(sa.update(Engagement).where(Engagement.user_id == member).values(
            interactions=i, discussions=d, completion=round(c, 4), days=days, score=round(u, 4),
            previous=round(previous, 4), drop=round(previous - u, 4), computed_at=now))
    db.session.execute(sa.delete(Engagement).where(Engagement.computed_at < now))


def at_risk(member_ids: list[int] | None = None, limit: int = 20) -> list[tuple[Engagement, User]]:
    """The members whose engagement fell most (of ``member_ids`` when given), one query."""
    query = sa.select(Engagement, User).join(User, User.id == Engagement.user_id).where(Engagement.drop > 0)
    if member_ids is not None:
        query = query.where(Engagement.user_id.in_(member_ids))
    return list(db.session.execute(query.order_by(Engagement.drop.desc(), Engagement.user_id).limit(limit)).all())
