"""The demo shop: the teacher's products, a coupon, and a few paid orders."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from kpay.commerce import orders
from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import Coupon, Product


def build() -> None:
    """Products by the demo creator, a launch coupon, and orders paid by two members."""
    creator = db.session.scalar(sa.select(User).where(User.email == "creator@example.com"))
    if creator is None:
        return
    currency = current_app.config["KPAY"]["commerce"]["currency"]
    course = Product(
        creator_id=creator.id, name="Python 入门 · Python for Beginners", kind="one_time",
        price_minor=19900, currency=currency,
        description="二十节课，从零开始学 Python。\n\nTwenty lessons that take you from zero to writing real programs.",
    )
    circle = Product(
        creator_id=creator.id, name="陈老师的知识星球 · Teacher Chen's Circle", kind="membership",
        period_days=365, price_minor=29900, currency=currency,
        description="每周问答与直播，一年会员。\n\nWeekly Q&A and live lectures; a year's membership.",
    )
    db.session.add_all([course, circle])
    db.session.flush()
    db.session.add(Coupon(
        code="WELCOME20", creator_id=creator.id, kind="percent", value=20, max_redemptions=100,
        per_member=1, valid_until=utcnow() + timedelta(days=90),
    ))
    for email, product in (("member@example.com", course), ("learner@example.com", circle)):
        buyer = db.session.scalar(sa.select(User).where(User.email == email))
        order = orders.checkout(buyer, product, "demo", secrets.token_urlsafe(24))
        orders.mark_paid(order.id, "demo", f"demo:{order.id}", order.amount_minor, order.currency)
