"""Grow the demo community in bulk, for the tests that check a page costs the same at any size.

``grow(scale)`` adds ``scale`` × (members, topics, replies to one long topic, notifications,
courses, lessons, enrolments, products, orders) in a few bulk inserts, with the rows a page
reads per member present: read markers, likes, watches, completions, a pinned and a featured
topic, unanswered questions. ``pages()`` names the pages and partials to open, with real ids.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import Notification, User
from kpay.models.commerce import Order, Product
from kpay.models.base import utcnow
from plugins.courses.models import Chapter, Completion, Course, Enrolment, Lesson
from plugins.forums.models import Circle, Like, Post, ReadMarker, Topic, Watch
from plugins.lectures.models import Lecture, Question, Rsvp

MEMBER, CREATOR, ADMIN = "member@example.com", "creator@example.com", "admin@example.com"


def _ids(column, *where) -> list[int]:
    return db.session.scalars(sa.select(column).where(*where).order_by(column)).all()


def grow(scale: int) -> None:
    """Add ``scale`` units of community to the demo (one unit: 10 members, 10 topics, ...); the
    member's course grows by 20 lessons whatever the scale (a syllabus lists every lesson)."""
    now = utcnow()
    start = now - timedelta(days=60)
    member = db.session.scalar(sa.select(User).where(User.email == MEMBER))
    creator = db.session.scalar(sa.select(User).where(User.email == CREATOR))
    tag = uuid.uuid4().hex[:6]
    db.session.execute(sa.insert(User), [
        {"email": f"grown{tag}{n}@example.com", "display_name": f"Grown {n} 成员", "password_hash": "x",
         "role": "member", "status": "active", "created_at": now} for n in range(10 * scale)])
    people = _ids(User.id, User.email.like(f"grown{tag}%"))
    circle = db.session.scalar(sa.select(Circle).where(Circle.visibility == "public").order_by(Circle.id))

    db.session.execute(sa.insert(Topic), [
        {"circle_id": circle.id, "author_id": people[n % len(people)], "title": f"Grown topic {tag} {n} · 话题",
         "kind": "question" if n % 3 == 0 else "discussion", "tags": "grown", "status": "visible",
         "pinned": n % 500 == 7, "locked": False, "featured_at": start + timedelta(hours=n) if n % 4 == 0 else None,
         "post_count": 1, "reply_count": 0, "like_count": n % 13,
         "bumped_at": start + timedelta(minutes=n), "created_at": start + timedelta(minutes=n), "updated_at": start}
        for n in range(10 * scale)])
    topics = _ids(Topic.id, Topic.title.like(f"Grown topic {tag} %"))
    long = topics[-1]
    replies = 20 * scale
    db.session.execute(sa.insert(Post), [
        {"topic_id": t, "circle_id": circle.id, "number": 1, "author_id": people[0], "body": "Opening post",
         "status": "visible", "created_at": start, "updated_at": start} for t in topics])
    db.session.execute(sa.insert(Post), [
        {"topic_id": long, "circle_id": circle.id, "number": n, "author_id": people[n % len(people)],
         "body": f"Reply **{n}** · 回复", "status": "visible", "created_at": start + timedelta(seconds=n),
         "updated_at": start} for n in range(2, replies + 2)])
    db.session.execute(sa.update(Topic).where(Topic.id == long).values(
        post_count=replies + 1, reply_count=replies, bumped_at=now))
    db.session.execute(sa.update(Circle).where(Circle.id == circle.id).values(
        topic_count=Circle.topic_count + len(topics)))
    posts = _ids(Post.id, Post.topic_id == long)
    db.session.execute(sa.insert(Like), [{"post_id": p, "user_id": member.id, "created_at": now} for p in posts[::2]])
    db.session.execute(sa.insert(ReadMarker), [
        {"user_id": member.id, "topic_id": t, "last_number": 1} for t in topics[::2]])
    db.session.execute(sa.insert(Watch), [{"user_id": member.id, "target": "topic", "target_id": t} for t in topics[::5]])

    db.session.execute(sa.insert(Notification), [
        {"user_id": member.id, "kind": "forums.reply", "channel": "web", "text": f"Reply {n} · 新回复",
         "url": f"/forums/t/{long}", "created_at": start + timedelta(minutes=n),
         "read_at": None if n % 2 else now} for n in range(10 * scale)])

    db.session.execute(sa.insert(Product), [
        {"creator_id": creator.id, "name": f"Grown product {n} · 商品", "description": "", "kind": "one_time",
         "price_minor": 1000 + n, "currency": "CNY", "active": True, "created_at": now} for n in range(scale)])
    products = _ids(Product.id, Product.name.like("Grown product %"))
    db.session.execute(sa.insert(Order), [
        {"user_id": member.id if n % 100 == 0 else people[n % len(people)], "product_id": products[n % len(products)],
         "product_name": "Grown",
         "provider": "sandbox", "status": "paid", "list_price_minor": 1000, "amount_minor": 1000, "currency": "CNY",
         "nonce": uuid.uuid4().hex, "created_at": start, "expires_at": now, "paid_at": start}
        for n in range(10 * scale)])

    db.session.execute(sa.insert(Course), [
        {"creator_id": creator.id, "title": f"Grown course {tag} {n} · 课程", "status": "published",
         "publish_at": start, "published_at": start, "created_at": start, "updated_at": start}
        for n in range(scale)])
    course = db.session.scalar(sa.select(Course).join(Enrolment).where(Enrolment.user_id == member.id)
                               .order_by(Course.id))
    chapter = db.session.scalar(sa.select(Chapter.id).where(Chapter.course_id == course.id).order_by(Chapter.position))
    db.session.execute(sa.insert(Lesson), [
        {"course_id": course.id, "chapter_id": chapter, "title": f"Grown lesson {n} · 课", "kind": "text",
         "body": "Text", "position": 1000 + n, "updated_at": now} for n in range(20)])
    db.session.execute(sa.insert(Enrolment), [
        {"course_id": course.id, "user_id": p, "enrolled_at": now, "updated_at": now, "percent": 5}
        for p in people])
    lessons = _ids(Lesson.id, Lesson.course_id == course.id)
    db.session.execute(sa.insert(Completion), [
        {"course_id": course.id, "lesson_id": lessons[0], "user_id": p, "created_at": now} for p in people])

    db.session.execute(sa.insert(Lecture), [
        {"creator_id": creator.id, "title": f"Grown lecture {n} · 讲座", "description": "", "speakers": "",
         "local_start": (now + timedelta(hours=n - scale * 5)).replace(tzinfo=None), "zone": "UTC",
         "starts_at": now + timedelta(hours=n - scale * 5), "utc_offset": 0, "minutes": 60, "going_count": 0,
         "provider": "url", "meeting_url": "", "status": "scheduled", "replay_url": "", "replay_notes": "",
         "created_at": start, "updated_at": start} for n in range(10 * scale)])
    full = db.session.scalar(sa.select(Lecture).where(Lecture.capacity.is_not(None)).order_by(Lecture.id))
    db.session.execute(sa.insert(Rsvp), [
        {"lecture_id": full.id, "user_id": p, "status": "waiting", "created_at": now, "updated_at": now}
        for p in people])
    db.session.execute(sa.insert(Question), [
        {"lecture_id": full.id, "user_id": people[n], "body": f"Grown question {n} · 问题", "votes": n % 7,
         "answered": False, "created_at": now, "updated_at": now} for n in range(scale)])
    db.session.commit()
