"""Shared by the commerce tests: products and coupons in the database, buying through the
real product form, and reading orders, notifications and the ledger back."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa

from kpay.commerce import orders
from kpay.extensions import db
from kpay.models import Notification, User
from kpay.models.commerce import Coupon, Entitlement, LedgerEntry, Order, Product
from tests.conftest import csrf_token


def add_product(app, creator, name: str = "Python for Beginners", price_minor: int = 19900, **values) -> int:
    """A product on sale by ``creator``; returns its id."""
    with app.app_context():
        product = Product(creator_id=creator.id, name=name, price_minor=price_minor, currency="CNY", **values)
        db.session.add(product)
        db.session.commit()
        return product.id


def add_coupon(app, creator, code: str = "HALF", kind: str = "percent", value: int = 50, **values) -> int:
    with app.app_context():
        coupon = Coupon(code=code, creator_id=creator.id, kind=kind, value=value, **values)
        db.session.add(coupon)
        db.session.commit()
        return coupon.id


def buy(client, product_id: int, provider: str, coupon: str = ""):
    """Open the product page and press "Buy now" with ``provider``, as a member would."""
    page = client.get(f"/shop/{product_id}")
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(f"/shop/{product_id}/checkout", data={
        "csrf_token": csrf_token(page), "nonce": nonce, "provider": provider, "coupon": coupon,
    })


def order(app, order_id: int) -> Order:
    with app.app_context():
        found = db.session.get(Order, order_id)
        db.session.expunge(found)
        return found


def last_order_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Order.id)))


def entitlement_status(app, order_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(sa.select(Entitlement.status).where(Entitlement.source == f"order:{order_id}"))


def ledger_total(app) -> int:
    """The sum of every ledger entry: zero while the books balance."""
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0))))


def balance(app, account: str) -> int:
    with app.app_context():
        total = sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0)
        return int(db.session.scalar(sa.select(total).where(LedgerEntry.account == account)))


def notifications(app, user) -> list[str]:
    """The texts of ``user``'s notifications, oldest first."""
    with app.app_context():
        query = sa.select(Notification.text).where(Notification.user_id == user.id).order_by(Notification.id)
        return db.session.scalars(query).all()


def paid_order(app, member, product_id: int, provider: str = "bank") -> int:
    """An order of ``member``'s paid through ``provider`` (as its callback would record it)."""
    with app.test_request_context():
        order = orders.checkout(db.session.get(User, member.id), db.session.get(Product, product_id), provider,
                                secrets.token_urlsafe(24))
        orders.mark_paid(order.id, provider, f"{provider}:{order.id}", order.amount_minor, order.currency)
        db.session.commit()
        return order.id
