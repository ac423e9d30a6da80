"""S19: every route declares who may open it (tests/access_matrix.toml), and each role gets
exactly that, deny by default. Opening a page as the wrong member never shows it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from flask import url_for

from kpay import config
from kpay.commerce import orders
from kpay.extensions import db
from kpay.models import Job, User
from kpay.models.base import utcnow
from kpay.models.commerce import Coupon, Product
from tests.conftest import Auth

MATRIX = tomllib.loads((Path(__file__).parent / "access_matrix.toml").read_text(encoding="utf-8"))
ROLES = {
    "member": "member", "buyer": "member", "creator": "creator", "other_creator": "creator",
    "moderator": "moderator", "admin": "admin",
}


@pytest.fixture
def app(make_app):
    """Every built-in plugin on."""
    return make_app({"plugins": {"enabled": config.default_plugins()}})


@pytest.fixture
def site(app, make_user):
    """The roles, product 1 with coupon 1 by the creator, order 1 paid by the buyer; URLs by endpoint."""
    people = {name: make_user(role=role, email=f"{name}@example.com") for name, role in ROLES.items()}
    with app.test_request_context():
        product = Product(creator_id=people["creator"].id, name="Course", price_minor=9900, currency="CNY")
        db.session.add(product)
        db.session.add(Coupon(code="TEN", creator_id=people["creator"].id, kind="percent", value=10))
        db.session.add(Job(func="kpay.points:balance", args=[], kwargs={}, status="failed"))
        db.session.flush()
        order = orders.checkout(db.session.get(User, people["buyer"].id), product, "sandbox", "matrix-nonce-0000000001")
        orders.mark_paid(order.id, "sandbox", "matrix-1", order.amount_minor, order.currency)
        course_ids = _course(people["creator"].id, product.id)
        lecture_ids = _lecture(people["creator"].id, product.id)
        _forum_circle(people)
        _challenge(people["creator"].id)
        db.session.commit()
        values = {
            **course_ids, **lecture_ids,
            "product_id": product.id, "order_id": order.id, "coupon_id": 1, "creator_id": people["creator"].id,
            "user_id": people["buyer"].id, "job_id": 1, "message_id": 1, "notification_id": 1,
            "filename": "css/kpay.css", "name": "none.webp", "token": "not-a-token", "change": "role",
            "circle_id": 1, "topic_id": 1, "post_id": 1, "path": "master.m3u8", "reward_id": 1, "payout_id": 1,
            "table": "members", "challenge_id": 1, "checkin_id": 1, "widget": "home", "position": 1, "key": "course:0",
            "impression": "x",
            "kind": "course", "item_id": course_ids["course_id"],
        }
        urls = {
            rule.endpoint: url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})
            for rule in app.url_map.iter_rules()
        }
    return people, urls


def _lecture(creator_id: int, product_id: int) -> dict:
    """The lectures plugin's lecture 1, sold as product 1, two days ahead, with question 1; its URL values."""
    from datetime import timedelta

    from plugins.lectures.models import Lecture, Question

    start = utcnow() + timedelta(days=2)
    lecture = Lecture(creator_id=creator_id, product_id=product_id, title="Lecture", zone="UTC", starts_at=start,
                      local_start=start.replace(tzinfo=None), meeting_url="https://meet.example/room")
    db.session.add(lecture)
    db.session.flush()
    db.session.add(Question(lecture_id=lecture.id, user_id=creator_id, body="Why?"))
    db.session.flush()
    return {"lecture_id": lecture.id, "question_id": 1}


def _course(creator_id: int, product_id: int) -> dict:
    """The courses plugin's course 1, sold as product 1, with a paid text lesson; its URL values."""
    from plugins.courses.models import Chapter, Course, Lesson

    course = Course(creator_id=creator_id, product_id=product_id, title="Course", status="published")
    db.session.add(course)
    db.session.flush()
    chapter = Chapter(course_id=course.id, title="One")
    db.session.add(chapter)
    db.session.flush()
    lesson = Lesson(course_id=course.id, chapter_id=chapter.id, title="Paid", body="Paid text")
    db.session.add(lesson)
    db.session.flush()
    return {"course_id": course.id, "chapter_id": chapter.id, "lesson_id": lesson.id, "review_id": 1, "code": "NOCODE"}


def _forum_circle(people) -> None:
    """The forums plugin's circle 1 (public, made by the creator, joined by the member and the
    buyer) with poll topic 1 whose opening post 1 the member wrote."""
    from plugins.forums.models import Circle, Membership, Poll, PollOption, Post, Topic

    db.session.add(Circle(name="Circle", creator_id=people["creator"].id, visibility="public"))
    db.session.flush()
    for name, role in (("creator", "moderator"), ("member", "member"), ("buyer", "member")):
        db.session.add(Membership(circle_id=1, user_id=people[name].id, role=role))
    db.session.add(Topic(circle_id=1, author_id=people["member"].id, title="Poll", kind="poll", post_count=1))
    db.session.flush()
    db.session.add(Post(topic_id=1, circle_id=1, number=1, author_id=people["member"].id, body="Vote"))
    db.session.add(Poll(topic_id=1))
    db.session.flush()
    db.session.add(PollOption(topic_id=1, position=0, label="Yes"))


def _challenge(creator_id: int) -> None:
    """The gamification plugin's challenge 1 in circle 1, running from today."""
    from plugins.gamification.models import Challenge

    db.session.add(Challenge(circle_id=1, creator_id=creator_id, title="Daily", starts_on=utcnow().date()))


def expected(endpoint: str, role: str) -> int:
    policy = MATRIX["policies"][MATRIX["routes"][endpoint]]
    return policy.get(role, policy["others"])


def test_every_route_declares_its_policy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - set(MATRIX["routes"])) == [], "add these routes to tests/access_matrix.toml"
    assert sorted(set(MATRIX["routes"]) - endpoints) == [], "these routes are gone: remove them"
    assert set(MATRIX["routes"].values()) <= set(MATRIX["policies"])


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_each_role_gets_what_its_policy_says(app, site, role):
    people, urls = site
    client = app.test_client()
    if role != "anonymous":
        Auth(client).login(people[role].email)
    got = {endpoint: client.get(url).status_code for endpoint, url in sorted(urls.items())}
    wrong = {e: (status, expected(e, role)) for e, status in got.items() if status != expected(e, role)}
    assert wrong == {}, "endpoint: (got, expected)"
