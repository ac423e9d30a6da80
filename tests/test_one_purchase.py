"""One purchase per one-time product: checkout refuses what the member owns, and a payment
that still arrives for it (a second tab, a late webhook) grants nothing and is refunded
through the provider, or flagged for the commerce managers when the provider cannot."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from kpay import jobs
from kpay.commerce import orders
from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import Entitlement, Order, OrderEvent, Product
from tests.commerce_helpers import add_product, buy_paid, checkout_form, count, ledger_sum, notifications
from tests.conftest import Auth, csrf_token
from tests.test_admin_orders import RefundingPay


def sandbox_shop(make_app, make_user):
    """A shop with one course and a member logged in: (app, member, course id, client)."""
    app = make_app({"plugins": {"enabled": ["pay_sandbox"]}})
    creator, member = make_user(role="creator"), make_user()
    course = add_product(app, creator.id)
    client = app.test_client()
    Auth(client).login(member.email)
    return app, member, course, client


def test_checkout_refuses_a_product_the_member_owns(make_app, make_user):
    app, member, course, client = sandbox_shop(make_app, make_user)
    tab = checkout_form(client, course)  # a tab opened before the purchase made in another
    buy_paid(app, member, course)
    answer = client.post(f"/shop/{course}/checkout", data=tab)
    assert answer.status_code == 422
    assert "You already own this." in answer.get_data(as_text=True)
    assert count(app, Order, Order.user_id == member.id) == 1


def open_orders(app, member, product_id: int, tabs: int) -> list[int]:
    """``tabs`` checkouts made before any of them is paid (each tab had its own form)."""
    with app.test_request_context("/", method="POST"):
        user, product = db.session.get(User, member.id), db.session.get(Product, product_id)
        made = [orders.checkout(user, product, "refundpay", secrets.token_urlsafe(24)).id for _ in range(tabs)]
        db.session.commit()
        return made


def pay(app, order_id: int) -> None:
    with app.test_request_context("/", method="POST"):
        order = db.session.get(Order, order_id)
        orders.mark_paid(order.id, "refundpay", f"pi_{order.id}", order.amount_minor, order.currency)
        db.session.commit()
        jobs.run_queued_inline()


def test_three_tabs_paid_make_one_purchase_and_two_refunds(make_app, make_user):
    provider = RefundingPay()
    app = make_app(plugins=[provider])
    creator, member = make_user(role="creator"), make_user()
    course = add_product(app, creator.id, name="Python 101")
    tabs = open_orders(app, member, course, 3)
    for order_id in tabs:
        pay(app, order_id)
    assert count(app, Entitlement, Entitlement.user_id == member.id) == 1
    assert sorted((order_id, amount) for order_id, amount, _key in provider.refunds) == [(tabs[1], 9900), (tabs[2], 9900)]
    with app.app_context():
        statuses = db.session.scalars(sa.select(Order.status).where(Order.id.in_(tabs)).order_by(Order.id)).all()
    assert statuses == ["paid", "refunded", "refunded"]
    assert ledger_sum(app) == 0
    assert notifications(app, member).count("You already owned Python 101, so your payment of CN¥99.00 was refunded.") == 2
    pay(app, tabs[2])  # the webhook delivered again: nothing more
    assert len(provider.refunds) == 2


def test_a_second_payment_the_provider_cannot_refund_is_flagged_for_the_managers(make_app, make_user):
    app = make_app({"plugins": {"enabled": ["pay_sandbox"]}})
    creator, member, admin = make_user(role="creator"), make_user(), make_user(role="admin")
    course = add_product(app, creator.id, name="Python 101")
    with app.test_request_context("/", method="POST"):
        user, product = db.session.get(User, member.id), db.session.get(Product, course)
        first, second = (orders.checkout(user, product, "sandbox", secrets.token_urlsafe(24)) for _ in range(2))
        for order in (first, second):
            orders.mark_paid(order.id, "sandbox", f"sb_{order.id}", order.amount_minor, order.currency)
        db.session.commit()
        jobs.run_queued_inline()
        second_id = second.id
    assert count(app, Entitlement, Entitlement.user_id == member.id) == 1
    assert count(app, OrderEvent, OrderEvent.order_id == second_id, OrderEvent.name == "refund_needed") == 1
    assert any(f"Order {second_id} paid again for Python 101" in text for text in notifications(app, admin))


def test_going_back_to_pay_a_tab_for_an_owned_product_cancels_it(make_app, make_user):
    app, member, course, client = sandbox_shop(make_app, make_user)
    first = client.post(f"/shop/{course}/checkout", data=checkout_form(client, course))
    assert first.status_code == 302
    waiting = count(app, Order, Order.user_id == member.id)
    buy_paid(app, member, course)
    with app.app_context():
        tab = db.session.scalar(sa.select(Order.id).where(Order.user_id == member.id).order_by(Order.id).limit(1))
    answer = client.post(f"/orders/{tab}/pay", data={"csrf_token": csrf_token(client.get(f"/orders/{tab}"))})
    assert answer.headers["Location"].endswith(f"/orders/{tab}")
    with app.app_context():
        assert db.session.get(Order, tab).status == "cancelled"
    assert waiting == 1
