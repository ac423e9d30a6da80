"""Stripe's API as KPay uses it: a Checkout Session for an order, a refund, and the two
look-ups the webhook makes.

Every POST carries an idempotency key that is known before the first attempt (derived from
the order, or the admin's refund key): a retry, by the library after a timeout or by the
member or admin, gets Stripe's first answer instead of a second session or refund.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import stripe
from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _

from kpay.api import CSP, ConfigError, Order, attach_provider_session, db, keep_order_open_until

log = logging.getLogger("kpay.pay_stripe")
# The Stripe API version every request asks for, whatever the library's default: a library
# upgrade then cannot change the shape of Stripe's answers. Set the webhook endpoint in
# Stripe's dashboard to the same version (events follow the endpoint's version).
API_VERSION = "2024-09-30.acacia"
CHECKOUT_ORIGIN = "https://checkout.stripe.com"
# Stripe keeps a Checkout Session open at least 30 minutes; the order must not expire (and give
# its coupon back) while its session can still be paid.
SESSION_MINIMUM = timedelta(minutes=31)


def settings() -> dict:
    """The validated ``[plugins.pay_stripe]`` table."""
    return current_app.config["KPAY"]["plugins"]["pay_stripe"]


def _account() -> dict:
    """The request options of every call: the site's secret key and the pinned API version."""
    return {"api_key": settings()["secret_key"], "stripe_version": API_VERSION}


def webhook_secrets(values: dict | None = None) -> list[str]:
    """The signing secrets a webhook may be signed with (several while one is rolled)."""
    raw = (values or settings())["webhook_secret"]
    return [secret.strip() for secret in raw.split(",") if secret.strip()]


def check_settings(values: dict) -> None:
    """Stop start-up on keys that cannot work, naming the setting (never echoing a secret)."""
    key = values["secret_key"]
    if key and not key.startswith(("sk_", "rk_")):
        raise ConfigError("plugins.pay_stripe.secret_key: expected a secret key (sk_live_..., sk_test_... or rk_...)")
    secrets = webhook_secrets(values)
    if key and not secrets:
        raise ConfigError(
            "plugins.pay_stripe.webhook_secret: needed with secret_key: the signing secret (whsec_...) "
            "of the endpoint <site>/pay_stripe/webhook in Stripe's dashboard"
        )
    if any(not secret.startswith("whsec_") for secret in secrets):
        raise ConfigError("plugins.pay_stripe.webhook_secret: expected signing secrets (whsec_...) separated by commas")


def allow_checkout_redirect(response):
    """Let checkout forms follow their redirect to Stripe: browsers hold a form's redirect to
    the ``form-action`` of the page it was on, which the core keeps to this site."""
    response.headers.setdefault(
        "Content-Security-Policy",
        CSP.replace("form-action 'self'", f"form-action 'self' {CHECKOUT_ORIGIN}"),
    )
    return response


def checkout_key(order: Order) -> str:
    """The idempotency key of the order's Checkout Session, the same for every attempt."""
    # The nonce keeps apart the orders of two sites (or a re-created database) on one account;
    # the expiry is part of the request, so a request with another one needs another key.
    nonce = hashlib.sha256(order.nonce.encode()).hexdigest()[:16]
    return f"kpay-checkout-{order.id}-{nonce}-{int(order.expires_at.timestamp())}"


def _session_expiry(order: Order) -> None:
    """Keep the order open as long as Stripe keeps its session open: from the order's own
    time, so every attempt asks for the same expiry (and so uses the same key)."""
    if keep_order_open_until(order, order.created_at + SESSION_MINIMUM):
        db.session.commit()


def start(order: Order):
    """Send the member to a Checkout Session for ``order`` (made once, whatever the retries),
    or back to the order's page with a message when Stripe cannot be reached."""
    _session_expiry(order)
    try:
        session = stripe.checkout.Session.create(
            **_account(),
            idempotency_key=checkout_key(order),
            mode="payment",
            expires_at=int(order.expires_at.timestamp()),
            line_items=[{
                "quantity": 1,
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": order.amount_minor,
                    "product_data": {"name": order.product_name},  # as sold: a rename changes no retry
                },
            }],
            client_reference_id=str(order.id),
            metadata={"order_id": str(order.id)},
            payment_intent_data={"metadata": {"order_id": str(order.id)}},
            success_url=url_for("commerce.order", order_id=order.id, _external=True),
            cancel_url=url_for("commerce.product", product_id=order.product_id, _external=True),
        )
    except stripe.StripeError:
        log.exception("Stripe made no checkout session for order %s", order.id)
        flash(_("Card payment is not available right now. Please try again in a few minutes."), "error")
        return redirect(url_for("commerce.order", order_id=order.id))
    attach_provider_session(order, session.id)
    db.session.commit()
    return redirect(session.url, 303)


def refund(order: Order, amount_minor: int, key: str) -> str:
    """Give ``amount_minor`` of ``order`` back through Stripe, once for ``key``; the refund's id.

    Raises ``stripe.StripeError`` when Stripe refuses or cannot be reached; asking again with
    the same ``key`` is safe.
    """
    made = stripe.Refund.create(
        **_account(), idempotency_key=key,
        payment_intent=order.provider_ref, amount=amount_minor, metadata={"order_id": str(order.id)},
    )
    return made.id


def session_of(payment_intent: str) -> dict | None:
    """The Checkout Session that made ``payment_intent``, if one did."""
    found = stripe.checkout.Session.list(
        **_account(), payment_intent=payment_intent, limit=1,
    )
    return found.data[0].to_dict() if found.data else None


def refunds_of(charge: dict) -> list[dict]:
    """Every refund of ``charge``: from the event when it lists them all (older API
    versions do), else from Stripe."""
    listed = charge.get("refunds") or {}
    if "data" in listed and not listed.get("has_more"):
        return listed["data"]
    found = stripe.Refund.list(**_account(), charge=charge["id"], limit=100)
    return [item.to_dict() for item in found.auto_paging_iter()]
