"""Shared set-up for commerce tests: products and coupons, buying through the real forms or
the real commerce functions, refunds, and forms posted as a browser would."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa

from kpay.commerce import orders
from kpay.extensions import db
from kpay.models import Notification, User
from kpay.models.commerce import Coupon, Entitlement, LedgerEntry, Order, Product
from tests.conftest import csrf_token
from tests.test_auth import field_errors as errors_beside  # noqa: F401 (the commerce tests import it from here)

SANDBOX = {"plugins": {"enabled": ["pay_sandbox"]}}


def add_product(app, creator_id: int, **values) -> int:
    """A product of ``creator_id`` (¥99.00, one-time, unless ``values`` say otherwise); its id."""
    values = {"name": "Python 101", "kind": "one_time", "price_minor": 9900, "currency": "CNY", **values}
    with app.app_context():
        product = Product(creator_id=creator_id, **values)
        db.session.add(product)
        db.session.commit()
        return product.id


def add_coupon(app, creator_id: int, code: str = "SAVE20", **values) -> int:
    values = {"kind": "percent", "value": 20, **values}
    with app.app_context():
        coupon = Coupon(code=code, creator_id=creator_id, **values)
        db.session.add(coupon)
        db.session.commit()
        return coupon.id


def checkout_form(client, product_id: int) -> dict:
    """The checkout form's fields as the product page renders them."""
    page = client.get(f"/shop/{product_id}")
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert nonce, "the product page has no checkout form"
    return {"csrf_token": csrf_token(page), "nonce": nonce.group(1), "provider": "sandbox", "coupon": ""}


def buy(client, product_id: int, pay: bool = True, **fields):
    """Check out ``product_id`` with the sandbox (and pay, unless ``pay`` is False); the
    checkout response."""
    data = {**checkout_form(client, product_id), **fields}
    response = client.post(f"/shop/{product_id}/checkout", data=data)
    if pay and response.status_code == 302 and "/pay_sandbox/" in response.headers["Location"]:
        page = client.get(response.headers["Location"])
        client.post(response.headers["Location"] + "/pay", data={"csrf_token": csrf_token(page)})
    return response


def orders_of(app, user_id: int) -> list[Order]:
    with app.app_context():
        return db.session.scalars(sa.select(Order).where(Order.user_id == user_id).order_by(Order.id)).all()


def ledger_sum(app) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0))))


def account_balance(app, account: str) -> int:
    from kpay.commerce import ledger

    with app.app_context():
        return ledger.balance(account, "CNY")


def make_product(app, creator, price_minor=10000, name="Python for Beginners", kind="one_time",
                 period_days=None) -> int:
    """A product of ``creator`` on sale in CNY; returns its id."""
    return add_product(app, creator.id, price_minor=price_minor, name=name, kind=kind, period_days=period_days)


def buy_paid(app, member, product_id: int, provider="sandbox") -> int:
    """``member`` checks out ``product_id`` and the provider reports it paid; returns the order id."""
    with app.test_request_context("/", method="POST"):
        order = orders.checkout(
            db.session.get(User, member.id), db.session.get(Product, product_id), provider, secrets.token_urlsafe(24),
        )
        orders.mark_paid(order.id, provider, f"{provider}:{order.id}", order.amount_minor, order.currency)
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


def order(app, order_id: int) -> Order:
    with app.app_context():
        found = db.session.get(Order, order_id)
        db.session.expunge(found)
        return found


def last_order_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Order.id)))


def newest_order(app) -> Order:
    return order(app, last_order_id(app))


def count(app, model, *where) -> int:
    """How many ``model`` rows match ``where``."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def entitlement_status(app, order_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(sa.select(Entitlement.status).where(Entitlement.source == f"order:{order_id}"))


def notifications(app, user) -> list[str]:
    """The texts of ``user``'s notifications, oldest first."""
    with app.app_context():
        query = sa.select(Notification.text).where(Notification.user_id == user.id).order_by(Notification.id)
        return db.session.scalars(query).all()
