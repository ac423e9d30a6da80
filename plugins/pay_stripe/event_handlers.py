"""What a Stripe event does to the order it is about, reduced to the current state.

Stripe sends an event at least once and in no fixed order, so each handler asks what is
true now and records only what is not recorded yet: a Checkout Session that is paid marks
its order paid (once, by ``mark_paid``); a refunded charge records each of its refunds not
yet recorded, keyed by Stripe's refund id (the key an admin's refund through Stripe is
stored under, too). A refund that arrives before its payment settles the payment first.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from kpay.api import Order, Payment, Refund, db, mark_paid, refund_order
from plugins.pay_stripe import payments

log = logging.getLogger("kpay.pay_stripe")
NOT_MONEY_BACK = ("failed", "canceled")


def session_completed(session: dict) -> None:
    """A Checkout Session is complete (or its delayed payment succeeded): once it is paid,
    its order is."""
    if session.get("payment_status") == "paid":
        _settle(session)


def charge_refunded(charge: dict) -> None:
    """Money went back on a charge, from the admin console or Stripe's dashboard: record
    every refund of it not recorded yet."""
    order = _order_paid_by(charge.get("payment_intent"))
    if order is None:
        return
    for item in payments.refunds_of(charge):
        if item.get("status") in NOT_MONEY_BACK or _recorded(item["id"]):
            continue
        refund_order(order, item["amount"], item["id"], None, reason="Refunded in Stripe", provider_ref=item["id"])


def _settle(session: dict) -> None:
    order = _order_of(session)
    if order is not None:
        mark_paid(
            order.id, "stripe", session.get("payment_intent") or session["id"],
            session["amount_total"], session["currency"].upper(), payer=_payer_of(session),
        )


def _payer_of(session: dict) -> str:
    """Who paid, as Stripe knows them: the session's customer, else the e-mail they gave."""
    return session.get("customer") or (session.get("customer_details") or {}).get("email") or ""


def _order_of(session: dict) -> Order | None:
    order_id = str((session.get("metadata") or {}).get("order_id", ""))
    order = db.session.get(Order, int(order_id)) if order_id.isdigit() else None
    # Another site (or a copy of this one) on the same Stripe account has orders with the same
    # ids: the order must be the one this session was made for.
    if order is None or order.provider_ref not in {session["id"], session.get("payment_intent")} - {None}:
        log.warning("Stripe session %s is not for an order of this site; ignored", session["id"])
        return None
    return order


def _order_paid_by(payment_intent: str | None) -> Order | None:
    """The order ``payment_intent`` paid; when its payment is not recorded yet (the
    session's event is late), the session is fetched from Stripe and settled first."""
    if not payment_intent:
        return None
    paid_by = sa.select(Payment.order_id).where(Payment.provider == "stripe", Payment.provider_ref == payment_intent)
    order_id = db.session.scalar(paid_by)
    if order_id is None:
        session = payments.session_of(payment_intent)
        if session is None or session.get("payment_status") != "paid":
            log.warning("Stripe payment %s is not one of this site's; its refund is ignored", payment_intent)
            return None
        _settle(session)
        # Recorded now: by this event, or by the session's own delivery that was racing it.
        order_id = db.session.scalar(paid_by)
    return db.session.get(Order, order_id) if order_id is not None else None


def _recorded(refund_id: str) -> bool:
    return db.session.scalar(
        sa.select(sa.exists().where(sa.or_(Refund.key == refund_id, Refund.provider_ref == refund_id)))
    )
