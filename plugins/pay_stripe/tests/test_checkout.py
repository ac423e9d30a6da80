"""A member pays by card: KPay prices the order, Stripe's page takes the money, the signed
webhook marks it paid. Checkout Sessions are made once per order, whatever the retries (M6)."""

from __future__ import annotations

from datetime import timedelta

from kpay.models.commerce import Order, OrderEvent
from plugins.pay_stripe.payments import CHECKOUT_ORIGIN
from plugins.pay_stripe.tests.conftest import (
    PRICE, checkout, count, deliver, event, newest_order, paid_session,
)
from tests import mailbox
from tests.conftest import csrf_token


def test_member_pays_by_card_and_sees_the_order_paid_and_in_purchases(app, client, member, product, fake_stripe):
    response = checkout(client, product.id)

    order = newest_order(app)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{CHECKOUT_ORIGIN}/c/pay/{order.provider_ref}"
    assert "Waiting for payment" in client.get(f"/orders/{order.id}").get_data(as_text=True)

    assert deliver(client, event("checkout.session.completed", paid_session(order))).status_code == 200

    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Paid" in page and "Waiting for payment" not in page
    purchases = client.get("/account/purchases").get_data(as_text=True)
    assert "Calligraphy course" in purchases and f"#{order.id}" in purchases and "Paid" in purchases
    assert [m["Subject"] for m in mailbox.messages(app, member.email)] == ["Receipt for Calligraphy course"]


def test_checkout_session_is_priced_from_the_order_not_the_form(app, client, member, product, fake_stripe):
    checkout(client, product.id, amount_minor="1", currency="USD", price="1")

    order = newest_order(app)
    [made] = fake_stripe.posts("/v1/checkout/sessions")
    assert made.params["mode"] == "payment"
    assert made.params["line_items[0][quantity]"] == "1"
    assert made.params["line_items[0][price_data][unit_amount]"] == str(PRICE)
    assert made.params["line_items[0][price_data][currency]"] == "cny"
    assert made.params["line_items[0][price_data][product_data][name]"] == "Calligraphy course"
    assert made.params["metadata[order_id]"] == made.params["client_reference_id"] == str(order.id)
    assert made.params["success_url"] == f"http://localhost/orders/{order.id}"
    assert made.params["cancel_url"] == f"http://localhost/shop/{product.id}"
    assert made.idempotency_key.startswith(f"kpay-checkout-{order.id}-")


def test_the_order_stays_open_as_long_as_its_stripe_session(app, client, member, product, fake_stripe):
    """Stripe keeps a session payable for 30 minutes at least: the order (and its coupon use)
    must not expire before the session does."""
    checkout(client, product.id)
    order = newest_order(app)
    [made] = fake_stripe.posts("/v1/checkout/sessions")
    assert int(made.params["expires_at"]) == int(order.expires_at.timestamp())
    assert order.expires_at - order.created_at >= timedelta(minutes=31)


def test_going_back_to_pay_reuses_the_session_and_its_idempotency_key(app, client, started_order, fake_stripe):
    again = pay_again(client, started_order)

    first, second = fake_stripe.posts("/v1/checkout/sessions")
    assert first.idempotency_key == second.idempotency_key
    assert fake_stripe.made == 1
    assert again.status_code == 303 and again.headers["Location"].endswith(started_order.provider_ref)
    assert newest_order(app).provider_ref == started_order.provider_ref
    assert count(app, OrderEvent, OrderEvent.order_id == started_order.id, OrderEvent.name == "payment_started") == 1


def test_checkout_timing_out_is_retried_with_the_same_key_and_makes_one_session(
    app, client, member, product, fake_stripe,
):
    fake_stripe.lost = 1  # Stripe made the session, but its answer never arrived

    response = checkout(client, product.id)

    first, second = fake_stripe.posts("/v1/checkout/sessions")
    assert first.idempotency_key == second.idempotency_key
    assert fake_stripe.made == 1
    assert response.status_code == 303 and response.headers["Location"].endswith(newest_order(app).provider_ref)


def test_stripe_out_of_reach_leaves_the_order_open_with_a_message(app, client, member, product, fake_stripe):
    fake_stripe.timeouts = 3  # the first try and the library's two retries

    response = checkout(client, product.id, follow_redirects=True)

    order = newest_order(app)
    assert order.status == "pending" and order.provider_ref is None
    page = response.get_data(as_text=True)
    assert "Card payment is not available right now" in page and "Continue to payment" in page
    fake_stripe.timeouts = 0
    assert pay_again(client, order).headers["Location"].startswith(CHECKOUT_ORIGIN)
    assert len({sent.idempotency_key for sent in fake_stripe.posts("/v1/checkout/sessions")}) == 1


def test_pages_let_the_checkout_form_be_redirected_to_stripe(client, product):
    policy = client.get(f"/shop/{product.id}").headers["Content-Security-Policy"]
    form_action = next(part for part in policy.split("; ") if part.startswith("form-action"))
    assert form_action == f"form-action 'self' {CHECKOUT_ORIGIN}"


def pay_again(client, order: Order):
    """Press "Continue to payment" on the order's page."""
    page = client.get(f"/orders/{order.id}")
    return client.post(f"/orders/{order.id}/pay", data={"csrf_token": csrf_token(page)})
