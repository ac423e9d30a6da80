"""Order and entitlement statuses are string enums the database holds to (CHECK constraints),
and the order transitions providers call move an order only from the states they name."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa

from kpay import api
from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import Entitlement, EntitlementStatus, Order, OrderEvent, OrderStatus, Product
from tests.commerce_helpers import SANDBOX, buy_paid, make_product


@pytest.fixture
def app(make_app):
    return make_app(SANDBOX)


@pytest.fixture
def product_id(app, make_user):
    return make_product(app, make_user(role="creator", email="chen@example.com", name="Teacher Chen"))


@pytest.fixture
def member(make_user):
    return make_user(email="mei@example.com", name="Mei")


def open_order(app, member, product_id: int) -> int:
    with app.test_request_context("/", method="POST"):
        order = api.checkout(db.session.get(User, member.id), db.session.get(Product, product_id), "sandbox",
                             secrets.token_urlsafe(24))
        db.session.commit()
        return order.id


def history(order_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(OrderEvent.name).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)))


def test_statuses_read_back_as_enums_and_the_database_refuses_any_other(app, member, product_id):
    order_id = buy_paid(app, member, product_id)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status is OrderStatus.PAID and order.status == "paid"
        assert db.session.scalar(sa.select(Entitlement.status)) is EntitlementStatus.ACTIVE
        for table in ("orders", "entitlements"):
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(sa.text(f"UPDATE {table} SET status = 'payed'"))
            db.session.rollback()
        order = db.session.get(Order, order_id)
        order.status = "payed"
        with pytest.raises(sa.exc.StatementError, match="payed"):
            db.session.flush()


def test_a_transfer_reference_moves_only_a_pending_order_and_once(app, member, product_id):
    order_id = open_order(app, member, product_id)
    with app.test_request_context("/", method="POST"):
        order, mei = db.session.get(Order, order_id), db.session.get(User, member.id)
        assert api.mark_awaiting_confirmation(order, mei, "CMB 2026-12-06")
        assert not api.mark_awaiting_confirmation(order, mei, "a second reference")
        db.session.commit()
        order = db.session.get(Order, order_id)
        assert (order.status, order.member_reference) == (OrderStatus.AWAITING_CONFIRMATION, "CMB 2026-12-06")
        assert history(order_id) == ["created", "reference_submitted"]


def test_a_provider_session_is_attached_once_and_never_to_a_paid_order(app, member, product_id):
    order_id = open_order(app, member, product_id)
    with app.test_request_context("/", method="POST"):
        order = db.session.get(Order, order_id)
        assert api.attach_provider_session(order, "cs_1")
        assert not api.attach_provider_session(order, "cs_1")  # the member pressed pay again
        api.mark_paid(order.id, "sandbox", "sandbox:1", order.amount_minor, order.currency)
        assert not api.attach_provider_session(order, "cs_2")
        db.session.commit()
        assert history(order_id) == ["created", "payment_started", "paid"]


def test_an_order_is_kept_open_only_longer_and_only_while_pending(app, member, product_id):
    order_id = open_order(app, member, product_id)
    with app.test_request_context("/", method="POST"):
        order = db.session.get(Order, order_id)
        first = order.expires_at
        assert not api.keep_order_open_until(order, first - timedelta(minutes=1))
        assert api.keep_order_open_until(order, first + timedelta(hours=1))
        assert order.expires_at == first + timedelta(hours=1)
        api.cancel_order(order, db.session.get(User, member.id))
        assert not api.keep_order_open_until(order, first + timedelta(hours=2))
