"""An admin confirms or rejects a payment the member made outside KPay (a bank transfer).

Such an order waits in ``awaiting_confirmation`` with the member's reference. Confirming it
records the payment like any provider's callback (``orders.mark_paid``, keyed
``<provider>:<order id>``); rejecting it cancels the order and gives its coupon back. Both
first claim the order with a conditional UPDATE, so two admins (or a double click) deciding
at once give one outcome. Each decision is audited once and the member is told.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from kpay import audit
from kpay.commerce import notices, orders
from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import Order, OrderStatus, Product
from kpay.transactions import rows_changed

AWAITING = OrderStatus.AWAITING_CONFIRMATION


def _claim(order: Order) -> bool:
    """True when ``order`` still awaits confirmation; its row stays locked (PostgreSQL) or the
    database stays ours (SQLite's write lock) until the caller commits."""
    return bool(rows_changed(
        sa.update(Order).where(Order.id == order.id, Order.status == AWAITING).values(status=AWAITING)
    ))


def _tell_member(order: Order, message, event: str) -> None:
    notices.tell(
        db.session.get(User, order.user_id), message, url_for("commerce.order", order_id=order.id),
        key=f"order:{order.id}:{event}",
    )


def confirm(order: Order, admin: User) -> bool:
    """Record the member's transfer as the order's payment; False when the order no longer
    awaits confirmation. The caller commits."""
    if not _claim(order):
        return False
    orders.record(order, "payment_confirmed", admin)
    orders.mark_paid(order.id, order.provider, f"{order.provider}:{order.id}", order.amount_minor, order.currency,
                     payer=order.member_reference)
    db.session.refresh(order)
    audit.record("order.payment_confirmed", admin, order, before={"status": AWAITING}, after={"status": order.status})
    product = db.session.get(Product, order.product_id)
    _tell_member(order, _l("Your transfer for %(product)s is confirmed. Thank you!", product=product.name), "confirmed")
    return True


def reject(order: Order, admin: User, reason: str) -> bool:
    """Cancel the order, telling the member ``reason``; False when it no longer awaits
    confirmation. The caller commits."""
    if not _claim(order) or not orders.cancel(order, admin, reason):
        return False
    db.session.refresh(order)
    audit.record(
        "order.payment_rejected", admin, order, before={"status": AWAITING},
        after={"status": order.status, "reason": reason},
    )
    product = db.session.get(Product, order.product_id)
    _tell_member(
        order,
        _l("Your transfer for %(product)s could not be confirmed: %(reason)s", product=product.name, reason=reason),
        "rejected",
    )
    return True
