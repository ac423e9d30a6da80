"""The demo referral tree: Mei invited Leo, Leo invited two friends; Leo's purchase earns Mei a
commission, and a friend's refunded purchase shows a reversed reward; the operator's figures are
counted at the end."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from kpay.api import Order, OrderStatus, Product, User, checkout, db, insert_once, mark_paid, refund_order, today
from plugins.referrals import rewards, stats
from plugins.referrals.models import Attribution, Share, Visit


def add_demo_tree() -> None:
    """Build the tree on the demo members; does nothing without them."""
    by_email = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_(
        ("member@example.com", "learner@example.com"))))}
    mei, leo = by_email.get("member@example.com"), by_email.get("learner@example.com")
    if mei is None or leo is None:
        return
    friends = [User(email=email, display_name=name, password_hash="!", email_confirmed_at=None)
               for email, name in (("wang@example.com", "王小明 Wang"), ("lily@example.com", "Lily 莉莉"))]
    db.session.add_all(friends)
    db.session.flush()
    _attribute(leo, mei, None, "wechat")
    for friend in friends:
        _attribute(friend, leo, mei, "poster")
    day = today().isoformat()
    for referrer, item, channel, visitor in ((mei, "/", "wechat", "demo-1"), (mei, "/", "wechat", "demo-2"),
                                             (leo, "/", "poster", "demo-3"), (leo, "/", "poster", "demo-4")):
        insert_once(Visit, ("referrer_id", "item", "visitor", "day"), referrer_id=referrer.id, item=item,
                    channel=channel, visitor=visitor, day=day)
        insert_once(Share, ("sharer_id", "item", "channel", "day"), sharer_id=referrer.id, item=item,
                    channel=channel, device="", day=day)
    paid = db.session.scalar(sa.select(Order.id).where(Order.user_id == leo.id, Order.status == OrderStatus.PAID))
    if paid:
        rewards.grant_for_order(paid)
    product = db.session.scalar(sa.select(Product).where(Product.active.is_(True), Product.kind == "one_time",
                                                          Product.price_minor > 0).order_by(Product.id))
    if product is not None:
        order = checkout(friends[0], product, "demo", secrets.token_urlsafe(24))
        mark_paid(order.id, "demo", f"demo:{order.id}", order.amount_minor, order.currency)
        rewards.grant_for_order(order.id)
        refund_order(order, order.amount_minor, f"demo-refund:{order.id}", None, "changed their mind")
        rewards.reverse_for_order(order.id, "refunded")
    stats.sweep()  # the operator's page shows figures at once


def _attribute(invitee: User, referrer: User, grand: User | None, channel: str) -> None:
    db.session.add(Attribution(invitee_id=invitee.id, referrer_id=referrer.id,
                               grand_referrer_id=grand.id if grand else None,
                               root_id=grand.id if grand else referrer.id, depth=2 if grand else 1,
                               channel=channel, item="/"))
    db.session.flush()
