"""An app with referrals, courses and the sandbox provider, and helpers that act as people:
a referrer, their invitee signing up through the real form, and paid orders."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from kpay.commerce import ledger, orders
from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import LedgerEntry, Product
from kpay.testing import PASSWORD, Auth, csrf_token
from plugins.referrals import codes


def referrals_config(**settings) -> dict:
    return {"plugins": {"enabled": ["referrals", "courses", "pay_sandbox"], "referrals": settings}}


@pytest.fixture
def app(make_app):
    return make_app(referrals_config())


@pytest.fixture
def product(app, make_user):
    creator = make_user("creator", name="Chen")
    with app.app_context():
        item = Product(creator_id=creator.id, name="Python 入门", price_minor=10000, currency="CNY")
        db.session.add(item)
        db.session.commit()
        return item.id


def code_of(app, user) -> str:
    with app.test_request_context():
        return codes.code_for(user.id)


def sign_up_through(app, referrer, email: str, name: str = "Bo", client=None, to: str = "/"):
    """A visitor opens ``referrer``'s link, then signs up with the real form; the new member."""
    client = client or app.test_client()
    client.get(f"/invite/{code_of(app, referrer)}?to={to}")
    page = client.get("/signup")
    response = client.post("/signup", data={
        "email": email, "display_name": name, "password": PASSWORD,
        "csrf_token": csrf_token(page),
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.email == email))


def pay(app, buyer_id: int, product_id: int, payer: str = "") -> int:
    """A paid order of ``product_id`` by ``buyer_id`` (events announced on commit), from the
    payment account ``payer`` when given (a Stripe customer, say); its id."""
    with app.test_request_context():
        order = orders.checkout(db.session.get(User, buyer_id), db.session.get(Product, product_id), "sandbox",
                                secrets.token_urlsafe(16))
        orders.mark_paid(order.id, "sandbox", f"ref-{order.id}", order.amount_minor, order.currency, payer=payer)
        db.session.commit()
        return order.id


def refund(app, order_id: int, amount_minor: int | None = None, key: str = "") -> None:
    """Refund ``amount_minor`` of the order (all of it by default) through commerce."""
    from kpay.models.commerce import Order

    with app.test_request_context():
        order = db.session.get(Order, order_id)
        orders.refund(order, order.amount_minor if amount_minor is None else amount_minor,
                      key or f"test-refund:{order_id}", None, "changed their mind")
        db.session.commit()


def balance(account: str, currency: str = "CNY") -> int:
    return ledger.balance(account, currency)


def ledger_sums_to_zero() -> bool:
    """Every ledger transaction balances, so all entries sum to zero in each currency."""
    totals = db.session.execute(sa.select(LedgerEntry.currency, sa.func.sum(LedgerEntry.amount_minor))
                                .group_by(LedgerEntry.currency)).all()
    return all(total == 0 for _currency, total in totals)


def login(app, user, client=None):
    client = client or app.test_client()
    Auth(client).login(user.email)
    return client


def sweep(app) -> None:
    """Count the operator's figures, as the scheduled sweep does."""
    from plugins.referrals import stats

    with app.app_context():
        stats.sweep()
