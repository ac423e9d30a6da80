"""``POST /pay_stripe/webhook``: the events Stripe sends, signed instead of CSRF-protected.

The ``Stripe-Signature`` header is checked over the raw body, against every configured
secret, before the body is parsed: a missing, wrong or stale (over 300 s) signature gets
400. An event of a type KPay does not handle gets 200 and changes nothing. Each handled event
is recorded once in ``provider_events``, in the transaction of its effects: a repeat gets
200 and changes nothing, and a failure gets 500 and keeps nothing, so Stripe sends it again.
"""

from __future__ import annotations

import json
import logging

import stripe
from flask import Blueprint, request

from kpay.api import ProviderEvent, csrf, db, insert_once, utcnow
from plugins.pay_stripe import event_handlers, payments

log = logging.getLogger("kpay.pay_stripe")
bp = Blueprint("pay_stripe", __name__)

TOLERANCE_SECONDS = 300
HANDLERS = {
    "checkout.session.completed": event_handlers.session_completed,
    "checkout.session.async_payment_succeeded": event_handlers.session_completed,
    "charge.refunded": event_handlers.charge_refunded,
}
# What provider_events keeps of an event's object: enough to trace it, no buyer details.
KEPT = ("id", "object", "payment_intent", "payment_status", "amount_total", "amount_refunded", "currency", "metadata")


@bp.route("/webhook", methods=["POST"])
@csrf.exempt
def webhook():
    payload = request.get_data()
    if not signed_by_stripe(payload, request.headers.get("Stripe-Signature")):
        return _answer("invalid or missing Stripe-Signature", 400)
    try:
        event = json.loads(payload)
        kind, event_id, thing = event["type"], event["id"], event["data"]["object"]
    except (ValueError, KeyError, TypeError):
        return _answer("not a Stripe event", 400)
    handle = HANDLERS.get(kind)
    if handle is None:
        return _answer("ignored", 200)
    try:
        first = insert_once(
            ProviderEvent, ("provider", "event_id"), provider="stripe", event_id=event_id, kind=kind,
            payload={key: thing[key] for key in KEPT if key in thing}, received_at=utcnow(),
        )
        if first is not None:
            handle(thing)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("Stripe event %s (%s) failed; Stripe will send it again", event_id, kind)
        return _answer("failed", 500)
    return _answer("done" if first is not None else "already done", 200)


def signed_by_stripe(payload: bytes, header: str | None) -> bool:
    """Whether one of the header's ``v1`` signatures is the payload's under one of the
    configured secrets, made at most ``TOLERANCE_SECONDS`` ago."""
    try:
        text = payload.decode("utf-8")  # stripe 11 signs only text (bytes would read "b'...'")
    except UnicodeDecodeError:
        return False
    for secret in payments.webhook_secrets():
        try:
            stripe.WebhookSignature.verify_header(text, header, secret, TOLERANCE_SECONDS)
        except (stripe.SignatureVerificationError, ValueError):
            continue
        return True
    return False


def _answer(text: str, status: int):
    return text, status, {"Content-Type": "text/plain; charset=utf-8"}
