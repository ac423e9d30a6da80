"""Shared by the studio, revenue and reconcile tests: products, paid orders and refunds made
through the real commerce functions, and forms posted as a browser would."""

from __future__ import annotations

import re
import secrets

from tests.conftest import csrf_token

from kpay.commerce import orders
from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import Order, Product


def make_product(app, creator, price_minor=10000, name="Python for Beginners", kind="one_time",
                 period_days=None) -> int:
    """A product of ``creator`` on sale in CNY; returns its id."""
    with app.app_context():
        product = Product(
            creator_id=creator.id, name=name, kind=kind, period_days=period_days,
            price_minor=price_minor, currency="CNY",
        )
        db.session.add(product)
        db.session.commit()
        return product.id


def buy(app, member, product_id: int, provider="sandbox") -> int:
    """``member`` checks out ``product_id`` and the provider reports it paid; returns the order id."""
    with app.test_request_context("/", method="POST"):
        order = orders.checkout(
            db.session.get(User, member.id), db.session.get(Product, product_id), provider, secrets.token_urlsafe(24),
        )
        orders.mark_paid(order.id, provider, f"ref-{order.id}", order.amount_minor, order.currency)
        db.session.commit()
        return order.id


def refund(app, order_id: int, amount_minor: int, admin=None) -> None:
    """Refund ``amount_minor`` of the order, as an admin's refund form does."""
    with app.test_request_context("/", method="POST"):
        actor = db.session.get(User, admin.id) if admin else None
        orders.refund(db.session.get(Order, order_id), amount_minor, secrets.token_urlsafe(16), actor, "test")
        db.session.commit()


def post_form(client, url: str, data: dict, form_url: str | None = None):
    """Open the form at ``form_url`` (default ``url``) and post ``data`` with its CSRF token
    and any hidden nonce it carries."""
    page = client.get(form_url or url)
    fields = {"csrf_token": csrf_token(page)}
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    if nonce:
        fields["nonce"] = nonce.group(1)
    return client.post(url, data={**fields, **data})


def errors_beside(response, field: str) -> str:
    """The error list shown beside ``field`` ("" when there is none)."""
    found = re.search(rf'<ul class="errors" id="{field}-errors">(.*?)</ul>', response.get_data(as_text=True), re.S)
    return found.group(1) if found else ""
