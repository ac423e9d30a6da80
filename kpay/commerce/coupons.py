"""Coupons: which code applies to which product, and reserving a use of one atomically.

A use is reserved inside the order's transaction by a conditional UPDATE (``used < cap``),
never by checking first and writing later, so the cap holds when many members redeem at once
on SQLite and PostgreSQL alike. The per-member cap is a unique key on (coupon, member, n).
An order that expires unpaid gives its use back.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import Coupon, CouponRedemption, Order, Product
from kpay.transactions import insert_once, rows_changed


class CouponError(Exception):
    """Why a code cannot be used here; shown beside the coupon field."""


def normalize_code(code: str) -> str:
    return code.strip().upper()


def issue(code: str, creator: User, kind: str, value: int, *, valid_until: datetime | None = None,
          product_id: int | None = None, max_redemptions: int | None = 1, per_member: int = 1) -> Coupon | None:
    """Make the coupon ``code`` for a plugin (a reward, a campaign): ``kind`` is ``"percent"``
    or ``"fixed"`` (minor units) as in the studio, and it applies as a coupon ``creator`` made
    in the studio would. Made once per code, even by concurrent callers: returns the new
    coupon, or None when ``code`` exists already. Raises ``ValueError`` for a value out of
    range. The caller commits."""
    if kind not in ("percent", "fixed") or value <= 0 or (kind == "percent" and value > 100):
        raise ValueError(f"no {kind} coupon of {value}")
    coupon_id = insert_once(
        Coupon, ("code",), code=normalize_code(code), creator_id=creator.id, kind=kind, value=value,
        product_id=product_id, valid_until=valid_until, max_redemptions=max_redemptions, per_member=per_member,
        used=0, active=True, created_at=utcnow(),
    )
    return None if coupon_id is None else db.session.get(Coupon, coupon_id)


def find(code: str, product: Product, now: datetime) -> Coupon:
    """The coupon ``code`` if it can take money off ``product`` now; else ``CouponError``."""
    coupon = db.session.scalar(sa.select(Coupon).where(Coupon.code == normalize_code(code)))
    if coupon is None or not coupon.active:
        raise CouponError(_l("There is no coupon with this code."))
    if coupon.valid_from and now < coupon.valid_from:
        raise CouponError(_l("This coupon cannot be used yet."))
    if coupon.valid_until and now >= coupon.valid_until:
        raise CouponError(_l("This coupon has expired."))
    if not applies_to(coupon, product):
        raise CouponError(_l("This coupon is not for this product."))
    if coupon.max_redemptions is not None and coupon.used >= coupon.max_redemptions:
        raise CouponError(_l("This coupon has been used up."))
    return coupon


def applies_to(coupon: Coupon, product: Product) -> bool:
    """A coupon names one product, or any product of its creator's (any product at all when
    an admin made it): creators discount only their own products."""
    if coupon.product_id is not None:
        return coupon.product_id == product.id
    creator = db.session.get(User, coupon.creator_id)
    return creator.is_admin or coupon.creator_id == product.creator_id


def discount(coupon: Coupon | None, price_minor: int) -> int:
    """The money ``coupon`` takes off ``price_minor``: between 0 and the price."""
    if coupon is None:
        return 0
    off = price_minor * coupon.value // 100 if coupon.kind == "percent" else coupon.value
    return max(0, min(off, price_minor))


def reserve(coupon: Coupon, user: User, order: Order) -> None:
    """Take one use of ``coupon`` for ``order``, or raise ``CouponError``; the caller rolls
    back on error (the use counted so far goes with it)."""
    taken = rows_changed(
        sa.update(Coupon)
        .where(
            Coupon.id == coupon.id,
            sa.or_(Coupon.max_redemptions.is_(None), Coupon.used < Coupon.max_redemptions),
        )
        .values(used=Coupon.used + 1)
    )
    if not taken:
        raise CouponError(_l("This coupon has been used up."))
    taken_slots = set(db.session.scalars(
        sa.select(CouponRedemption.n)
        .where(CouponRedemption.coupon_id == coupon.id, CouponRedemption.user_id == user.id)
    ))
    free = sorted(set(range(1, coupon.per_member + 1)) - taken_slots)
    if not free:
        raise CouponError(_l("You have already used this coupon."))
    try:
        with db.session.begin_nested():
            db.session.add(CouponRedemption(coupon_id=coupon.id, user_id=user.id, n=free[0], order_id=order.id))
    except sa.exc.IntegrityError:  # the same member's other checkout took this use meanwhile
        raise CouponError(_l("You have already used this coupon.")) from None


def release(order: Order) -> None:
    """Give back the coupon use an unpaid order reserved."""
    if order.coupon_id is None:
        return
    gone = rows_changed(sa.delete(CouponRedemption).where(CouponRedemption.order_id == order.id))
    if gone:
        db.session.execute(
            sa.update(Coupon).where(Coupon.id == order.coupon_id, Coupon.used > 0).values(used=Coupon.used - 1)
        )


def retake(order: Order) -> None:
    """Count the coupon use of an order paid after it had expired (or was cancelled) and given
    the use back. The money is in, so this never refuses: a cap may be passed by such a late
    payment, and the order's history says it was late."""
    if order.coupon_id is None:
        return
    db.session.execute(sa.update(Coupon).where(Coupon.id == order.coupon_id).values(used=Coupon.used + 1))
    mine = db.session.scalar(
        sa.select(sa.func.max(CouponRedemption.n))
        .where(CouponRedemption.coupon_id == order.coupon_id, CouponRedemption.user_id == order.user_id)
    )
    db.session.add(CouponRedemption(coupon_id=order.coupon_id, user_id=order.user_id, n=(mine or 0) + 1,
                                    order_id=order.id))
