"""Demo lectures (English and Simplified Chinese): a past one with its replay, an upcoming one
that is full with a waiting list, and a weekly Q&A series. Safe to run on a live site: nothing twice."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa

from kpay.api import Product, User, checkout, db, mark_paid, utcnow
from plugins.lectures import lifecycle, seats, zones
from plugins.lectures.models import Lecture

ZONE = "Asia/Shanghai"


def _member(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _wall(days: int, hour: int):
    local = zones.in_zone(utcnow() + timedelta(days=days), ZONE).replace(hour=hour, minute=0, second=0, microsecond=0)
    return local.replace(tzinfo=None)


def build() -> None:
    creator = _member("creator@example.com")
    if creator is None or db.session.scalar(sa.select(Lecture.id).limit(1)) is not None:
        return
    past, = lifecycle.schedule(creator, {
        "title": "如何做读书笔记 · How to Take Reading Notes", "speakers": "陈老师 Teacher Chen", "minutes": 60,
        "description": "一次关于读书笔记的直播。\n\nA live session on reading notes.",
        "meeting_url": "https://meet.jit.si/kpay-demo-notes",
    }, _wall(3, 20), ZONE)
    past.local_start, past.starts_at = _wall(-7, 20), zones.to_utc(_wall(-7, 20), ZONE)
    past.started_at = past.starts_at
    lifecycle.attach_replay(past, "https://player.bilibili.com/player.html?bvid=BV1GJ411x7h7",
                            "回放和讲义。\n\nThe replay and the handout.")
    product = Product(creator_id=creator.id, name="写作直播课 · Live Writing Class", kind="one_time", price_minor=2900,
                      currency=db.session.scalar(sa.select(Product.currency).limit(1)) or "CNY",
                      description="一节直播写作课。\n\nOne live writing class.")
    db.session.add(product)
    db.session.flush()
    full, = lifecycle.schedule(creator, {
        "title": "写作直播课 · Live Writing Class", "speakers": "陈老师 Teacher Chen", "minutes": 90, "capacity": 1,
        "description": "名额有限，满员后可排队候补。\n\nSeats are few; when full, join the waiting list.",
        "meeting_url": "https://meet.jit.si/kpay-demo-writing", "product_id": product.id,
    }, _wall(5, 19), ZONE)
    for email in ("member@example.com", "learner@example.com"):
        member = _member(email)
        if member is not None:
            order = checkout(member, product, "demo", secrets.token_urlsafe(24))
            mark_paid(order.id, "demo", f"demo:{order.id}", order.amount_minor, order.currency)
            seats.going(full, member)
    lifecycle.schedule(creator, {
        "title": "每周编程难题解答 · Weekly Coding Q&A", "speakers": "陈老师 Teacher Chen", "minutes": 45,
        "description": "每周一次，带着您的问题来。\n\nOnce a week: bring your questions.",
        "meeting_url": "https://meet.jit.si/kpay-demo-weekly",
    }, _wall(2, 21), ZONE, until=(_wall(2, 21) + timedelta(weeks=3)).date())
