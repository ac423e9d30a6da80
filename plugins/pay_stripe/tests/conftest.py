"""Fixtures for pay_stripe: a site with Stripe configured, a fake of Stripe's HTTP layer,
and webhook events signed with Stripe's real scheme.

Stripe is not reachable from the tests. Only the HTTP layer of outgoing calls is faked
(``stripe.default_http_client``); the library, the app and the database are real.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

from kpay.extensions import db
from kpay.models.commerce import Order, Product
from tests.commerce_helpers import checkout_form, count, ledger_sum, newest_order  # noqa: F401 (for the tests)

SECRET_KEY = "sk_test_kpay"
WEBHOOK_SECRET = "whsec_current"
OLD_WEBHOOK_SECRET = "whsec_rolled"
PRICE = 9900


def stripe_settings(**changes) -> dict:
    """``[plugins]`` config with Stripe on: the current and the rolled secret both accepted."""
    values = {"secret_key": SECRET_KEY, "webhook_secret": f"{WEBHOOK_SECRET}, {OLD_WEBHOOK_SECRET}", **changes}
    return {"plugins": {"enabled": ["pay_stripe"], "pay_stripe": values}}


@pytest.fixture
def app(make_app):
    """A site with the Stripe provider configured."""
    return make_app(stripe_settings())


@dataclass
class Sent:
    """A request the app made to Stripe."""

    method: str
    path: str
    params: dict
    idempotency_key: str | None
    api_version: str | None


class FakeStripe(stripe.HTTPClient):
    """Stripe's HTTP endpoints as these tests need them. Like Stripe, a POST with an
    Idempotency-Key already seen gets the first answer again. ``timeouts`` makes the next
    requests time out before Stripe sees them; ``lost`` lets Stripe act on the next ones but
    loses the answer on the way back."""

    name = "fake"

    def __init__(self):
        super().__init__()
        self.sent: list[Sent] = []
        self.answered: dict[str, tuple] = {}
        self.sessions: dict[str, dict] = {}  # payment intent -> its Checkout Session
        self.refunds: dict[str, list] = {}  # charge -> its refunds
        self.timeouts = 0
        self.lost = 0
        self.made = 0
        self._ids = itertools.count(1)

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        params = dict(parse_qsl(post_data.decode() if isinstance(post_data, bytes) else post_data or parts.query))
        key = (headers or {}).get("Idempotency-Key")
        self.sent.append(Sent(method.upper(), parts.path, params, key, (headers or {}).get("Stripe-Version")))
        if self.timeouts:
            self.timeouts -= 1
            raise stripe.APIConnectionError("Request timed out", should_retry=True)
        if method == "post" and key in self.answered:
            return self.answered[key]
        answer = (json.dumps(self._answer(method.upper(), parts.path, params)), 200, {"Request-Id": "req_fake"})
        if method == "post":
            self.answered[key] = answer
        if self.lost:
            self.lost -= 1
            raise stripe.APIConnectionError("Request timed out", should_retry=True)
        return answer

    def _answer(self, method: str, path: str, params: dict) -> dict:
        if (method, path) == ("POST", "/v1/checkout/sessions"):
            self.made += 1
            session_id = f"cs_test_{next(self._ids)}"
            return {
                "id": session_id, "object": "checkout.session",
                "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                "mode": params["mode"], "status": "open", "payment_status": "unpaid",
                "amount_total": int(params["line_items[0][price_data][unit_amount]"]),
                "currency": params["line_items[0][price_data][currency]"],
                "metadata": {"order_id": params["metadata[order_id]"]},
            }
        if (method, path) == ("POST", "/v1/refunds"):
            self.made += 1
            return {
                "id": f"re_test_{next(self._ids)}", "object": "refund", "amount": int(params["amount"]),
                "payment_intent": params["payment_intent"], "status": "succeeded",
            }
        if (method, path) == ("GET", "/v1/checkout/sessions"):
            found = self.sessions.get(params["payment_intent"])
            return {"object": "list", "url": path, "has_more": False, "data": [found] if found else []}
        if (method, path) == ("GET", "/v1/refunds"):
            return {"object": "list", "url": path, "has_more": False, "data": self.refunds.get(params["charge"], [])}
        raise AssertionError(f"the fake Stripe has no {method} {path}")

    def posts(self, path: str) -> list[Sent]:
        return [s for s in self.sent if s.method == "POST" and s.path == path]


@pytest.fixture
def fake_stripe(monkeypatch):
    """Stripe's HTTP layer, faked for this test."""
    fake = FakeStripe()
    monkeypatch.setattr(stripe, "default_http_client", fake)
    return fake


def signature(body: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A ``Stripe-Signature`` header as Stripe makes it: HMAC-SHA256 of ``"{t}.{body}"``."""
    at = int(time.time()) if at is None else at
    return f"t={at},v1={sign(body, secret, at)}"


def sign(body: str, secret: str, at: int) -> str:
    return hmac.new(secret.encode(), f"{at}.{body}".encode(), hashlib.sha256).hexdigest()


def event(kind: str, thing: dict, event_id: str | None = None) -> dict:
    """A Stripe event of ``kind`` about ``thing``, as the webhook receives it."""
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": kind,
        "api_version": "2025-03-31.basil", "created": int(time.time()), "livemode": False,
        "data": {"object": thing},
    }


def deliver(client, payload: dict | str, header: str | None = "sign"):
    """POST an event to the webhook, signed with the current secret unless ``header`` is given."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = signature(body) if header == "sign" else header
    return client.post("/pay_stripe/webhook", data=body, headers=headers)


def paid_session(order: Order, payment_intent: str = "pi_test_1") -> dict:
    """The Checkout Session of ``order`` once the member paid, as ``checkout.session.completed`` carries it."""
    return {
        "id": order.provider_ref, "object": "checkout.session", "mode": "payment", "status": "complete",
        "payment_status": "paid", "amount_total": order.amount_minor, "currency": order.currency.lower(),
        "payment_intent": payment_intent, "client_reference_id": str(order.id),
        "metadata": {"order_id": str(order.id)},
        "customer_details": {"email": "buyer@example.com", "name": "A Buyer"},
    }


def refunded_charge(
    payment_intent: str, refunds: list[tuple[str, int]], listed: bool = True, amount: int = PRICE,
) -> dict:
    """The charge of ``payment_intent`` after ``refunds`` (id, amount), as ``charge.refunded``
    carries it; API versions since 2022-11-15 leave the refund list out (``listed=False``)."""
    charge = {
        "id": f"ch_{payment_intent}", "object": "charge", "payment_intent": payment_intent, "amount": amount,
        "amount_refunded": sum(value for _, value in refunds), "currency": "cny",
        "refunded": sum(value for _, value in refunds) == amount,
    }
    if listed:
        charge["refunds"] = {"object": "list", "has_more": False, "data": refund_objects(payment_intent, refunds)}
    return charge


def refund_objects(payment_intent: str, refunds: list[tuple[str, int]]) -> list[dict]:
    return [
        {"id": refund_id, "object": "refund", "amount": value, "status": "succeeded",
         "payment_intent": payment_intent, "charge": f"ch_{payment_intent}"}
        for refund_id, value in refunds
    ]


@pytest.fixture
def product(app, make_user):
    """A course a creator sells for 99.00 CNY."""
    creator = make_user(role="creator", name="Teacher Li")
    with app.app_context():
        item = Product(creator_id=creator.id, name="Calligraphy course", price_minor=PRICE, currency="CNY")
        db.session.add(item)
        db.session.commit()
        db.session.refresh(item)
        db.session.expunge(item)
    return item


@pytest.fixture
def member(make_user, auth):
    """A member, logged in on ``client``."""
    user = make_user(email="buyer@example.com", name="Buyer Wang")
    auth.login(user.email)
    return user


def checkout(client, product_id: int, follow_redirects: bool = False, **extra):
    """Choose Stripe on the product's page and press the button (``extra``: more form fields)."""
    data = {**checkout_form(client, product_id), "provider": "stripe", **extra}
    return client.post(f"/shop/{product_id}/checkout", data=data, follow_redirects=follow_redirects)


@pytest.fixture
def started_order(app, client, member, product, fake_stripe) -> Order:
    """The member's order, sent to Stripe's checkout page and not paid yet."""
    response = checkout(client, product.id)
    assert response.status_code == 303
    return newest_order(app)
