"""A member's commerce records, for "Download my data" and "Delete my account".

Orders, payments and refunds are financial records the site must keep: deleting an account
keeps them (pointing at the anonymised member) and blanks only what the member typed.
"""

from __future__ import annotations

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import Entitlement, Order, Product


def member_records(user: User) -> dict | None:
    """The member's orders and entitlements, as JSON values; None when they have none."""
    orders = db.session.execute(
        sa.select(Order, Product.name).join(Product, Product.id == Order.product_id)
        .where(Order.user_id == user.id).order_by(Order.id)
    ).all()
    held = db.session.execute(
        sa.select(Entitlement, Product.name).join(Product, Product.id == Entitlement.product_id)
        .where(Entitlement.user_id == user.id).order_by(Entitlement.id)
    ).all()
    if not orders and not held:
        return None
    return {
        "orders": [
            {
                "id": o.id, "product": name, "status": o.status, "amount_minor": o.amount_minor,
                "refunded_minor": o.refunded_minor, "currency": o.currency, "provider": o.provider,
                "reference": o.member_reference, "created_at": o.created_at, "paid_at": o.paid_at,
            }
            for o, name in orders
        ],
        "entitlements": [
            {"product": name, "status": e.status, "starts_at": e.starts_at, "ends_at": e.ends_at}
            for e, name in held
        ],
    }


def erase_member_references(user: User) -> None:
    """Blank the payment references the member typed; the orders themselves stay."""
    db.session.execute(sa.update(Order).where(Order.user_id == user.id).values(member_reference=""))
