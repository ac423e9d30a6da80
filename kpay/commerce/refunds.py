"""An admin refunds part or all of a paid order; a second payment for an owned product is
refunded by itself.

The refund is keyed by the admin's one-time form nonce, so a double click or a resent form
refunds once. When the order's provider can pay money back (``PaymentProvider.refund``) it is
asked first, with the same key, and its reference is stored; otherwise the refund is only
recorded (the admin returned the money by hand). ``orders.refund`` then reverses the
creator's share and the fee in proportion, and revokes the entitlement once all is refunded.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from kpay import audit
from kpay.commerce import notices, orders
from kpay.commerce.money import format_money
from kpay.commerce.providers import provider
from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import Order, Product, Refund

log = logging.getLogger("kpay.commerce")


class RefundRefused(Exception):
    """Why this refund cannot be made; shown beside the amount, nothing was written."""


def refund_by_admin(order: Order, amount_minor: int, key: str, admin: User, reason: str = "") -> Refund | None:
    """Refund ``amount_minor`` of ``order`` once per ``key``; None when ``key`` was used
    already. Raises ``RefundRefused``. The caller commits (and rolls back on the exception)."""
    if db.session.scalar(sa.select(Refund.id).where(Refund.key == key)) is not None:
        return None
    if amount_minor <= 0:
        raise RefundRefused(_l("Enter an amount more than zero."))
    left = orders.refundable(order)
    if not left:
        raise RefundRefused(_l("Nothing is left to refund on this order."))
    if amount_minor > left:
        raise RefundRefused(_l("At most %(amount)s can be refunded.", amount=format_money(left, order.currency)))
    before = {"status": order.status, "refunded_minor": order.refunded_minor}
    provider_ref = _provider_refund(order, amount_minor, key)
    try:
        made = orders.refund(order, amount_minor, key, admin, reason, provider_ref=provider_ref)
    except ValueError:  # another refund of this order took the money meanwhile
        raise RefundRefused(_l("At most %(amount)s can be refunded.",
                               amount=format_money(orders.refundable(order), order.currency))) from None
    if made is None:
        return None
    audit.record(
        "order.refunded", admin, order, before=before,
        after={"status": order.status, "refunded_minor": order.refunded_minor, "amount_minor": amount_minor,
               "reason": reason, "provider_ref": provider_ref},
    )
    product = db.session.get(Product, order.product_id)
    amount = LazyString(format_money, amount_minor, order.currency)  # in the member's language
    notices.tell(
        db.session.get(User, order.user_id),
        _l("%(amount)s of your payment for %(product)s was refunded.", amount=amount, product=product.name),
        url_for("commerce.order", order_id=order.id), key=f"refund:{made.id}",
    )
    return made


def refund_second_purchase(order_id: int) -> None:
    """Pay back all of an order paid for a one-time product its buyer already owned (a late
    webhook, a second tab): through its provider when it can refund, else flagged for the
    site's commerce managers to pay back by hand. Once per order; the caller commits."""
    order = db.session.get(Order, order_id)
    key = f"second-purchase:{order.id}"
    if not orders.refundable(order) or db.session.scalar(sa.select(Refund.id).where(Refund.key == key)):
        return
    chosen = provider(order.provider)
    url = url_for("commerce.order", order_id=order.id)
    product = db.session.get(Product, order.product_id)
    if chosen is None or chosen.refund is None:
        orders.record(order, "refund_needed")
        notices.tell_managers(
            _l("Order %(id)s paid again for %(product)s, which the member already owned: refund it.",
               id=order.id, product=product.name), url, key=key,
        )
        return
    provider_ref = chosen.refund(order, order.amount_minor, key)  # raises: the job is retried
    orders.refund(order, order.amount_minor, key, None, "already owned", provider_ref=provider_ref)
    amount = LazyString(format_money, order.amount_minor, order.currency)
    notices.tell(
        db.session.get(User, order.user_id),
        _l("You already owned %(product)s, so your payment of %(amount)s was refunded.",
           product=product.name, amount=amount), url, key=key,
    )


def refunds_through(order: Order) -> str | None:
    """The label of the provider that pays ``order``'s refunds back, or None when a refund
    is only recorded."""
    chosen = provider(order.provider)
    return chosen.label if chosen is not None and chosen.refund is not None else None


def _provider_refund(order: Order, amount_minor: int, key: str) -> str | None:
    """Ask the order's provider to pay the money back, when it can; its refund reference."""
    chosen = provider(order.provider)
    if chosen is None or chosen.refund is None:
        return None
    try:
        return chosen.refund(order, amount_minor, key)
    except Exception:  # a provider's outage or refusal must not look like a refund made
        log.exception("provider %s did not refund order %s", order.provider, order.id)
        raise RefundRefused(
            _l("%(provider)s did not make the refund, so nothing was recorded. Try again later.",
               provider=chosen.label)
        ) from None
