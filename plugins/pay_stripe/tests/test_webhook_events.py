"""What Stripe's events do: each once (M2), in any order (M3), with the webhook as the one
that grants (M4), and refunds made in Stripe or through the admin counted once."""

from __future__ import annotations

import pytest

from kpay.commerce import orders
from kpay.extensions import db
from kpay.models.commerce import Entitlement, LedgerTransaction, Order, Payment, ProviderEvent, Refund
from kpay.models.mail import EmailMessage
from plugins.pay_stripe import payments
from plugins.pay_stripe.tests.conftest import (
    PRICE, count, deliver, event, ledger_sum, newest_order, paid_session, refund_objects, refunded_charge,
)


def pay(client, order, payment_intent="pi_test_1", event_id=None):
    return deliver(client, event("checkout.session.completed", paid_session(order, payment_intent), event_id))


def refund_in_stripe(client, payment_intent, refunds, event_id=None, listed=True):
    return deliver(client, event("charge.refunded", refunded_charge(payment_intent, refunds, listed), event_id))


def test_same_event_twice_grants_once(app, client, started_order):
    first = pay(client, started_order, event_id="evt_paid")
    second = pay(client, started_order, event_id="evt_paid")

    assert (first.status_code, second.status_code) == (200, 200)
    assert count(app, Payment) == 1
    assert count(app, Entitlement, Entitlement.status == "active") == 1
    assert count(app, LedgerTransaction) == 1
    assert count(app, EmailMessage, EmailMessage.subject == "Receipt for Calligraphy course") == 1
    assert count(app, ProviderEvent, ProviderEvent.event_id == "evt_paid") == 1
    assert newest_order(app).provider_ref == "pi_test_1"


def test_unpaid_session_completing_grants_nothing_until_its_payment_succeeds(app, client, started_order):
    pending = {**paid_session(started_order), "payment_status": "unpaid"}  # a bank debit, say
    assert deliver(client, event("checkout.session.completed", pending)).status_code == 200
    assert newest_order(app).status == "pending"

    succeeded = event("checkout.session.async_payment_succeeded", paid_session(started_order))
    assert deliver(client, succeeded).status_code == 200
    assert newest_order(app).status == "paid"


def test_member_back_from_stripe_before_the_webhook_sees_it_waiting_then_paid_once(app, client, started_order):
    assert "Waiting for payment" in client.get(f"/orders/{started_order.id}").get_data(as_text=True)
    assert count(app, Entitlement) == 0

    pay(client, started_order)
    pay(client, started_order)  # Stripe's retry of the same session, as another event

    assert "Paid" in client.get(f"/orders/{started_order.id}").get_data(as_text=True)
    assert count(app, Entitlement) == 1 and count(app, Payment) == 1


def test_session_of_another_site_on_the_same_account_is_ignored(app, client, started_order):
    theirs = {**paid_session(started_order), "id": "cs_test_of_another_site"}
    assert deliver(client, event("checkout.session.completed", theirs)).status_code == 200
    assert newest_order(app).status == "pending" and count(app, Payment) == 0


def test_payment_of_another_amount_fails_for_stripe_to_retry_and_keeps_nothing(app, client, started_order):
    wrong = {**paid_session(started_order), "amount_total": 1}
    assert deliver(client, event("checkout.session.completed", wrong, "evt_wrong")).status_code == 500
    assert newest_order(app).status == "pending"
    assert count(app, Payment) == 0 and count(app, ProviderEvent) == 0


def test_refund_in_stripe_revokes_access_and_reverses_the_books(app, client, started_order):
    pay(client, started_order)

    assert refund_in_stripe(client, "pi_test_1", [("re_1", PRICE)]).status_code == 200

    order = newest_order(app)
    assert (order.status, order.refunded_minor) == ("refunded", PRICE)
    assert count(app, Entitlement, Entitlement.status == "active") == 0
    assert ledger_sum(app) == 0
    assert "Refunded" in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_partial_refunds_in_stripe_are_each_counted_once(app, client, started_order):
    pay(client, started_order)
    refund_in_stripe(client, "pi_test_1", [("re_1", 3000)])
    refund_in_stripe(client, "pi_test_1", [("re_1", 3000), ("re_2", 2000)])

    order = newest_order(app)
    assert (order.status, order.refunded_minor) == ("paid", 5000)
    assert count(app, Refund) == 2
    assert count(app, Entitlement, Entitlement.status == "active") == 1


def test_failed_refund_in_stripe_gives_nothing_back(app, client, started_order):
    pay(client, started_order)
    charge = refunded_charge("pi_test_1", [("re_1", PRICE)])
    charge["refunds"]["data"][0]["status"] = "failed"

    assert deliver(client, event("charge.refunded", charge)).status_code == 200

    assert newest_order(app).status == "paid" and count(app, Refund) == 0


def test_refund_event_without_its_refund_list_asks_stripe_for_it(app, client, started_order, fake_stripe):
    pay(client, started_order)
    fake_stripe.refunds["ch_pi_test_1"] = refund_objects("pi_test_1", [("re_1", 2500)])

    assert refund_in_stripe(client, "pi_test_1", [("re_1", 2500)], listed=False).status_code == 200

    assert newest_order(app).refunded_minor == 2500
    [asked] = [s for s in fake_stripe.sent if s.method == "GET"]
    assert (asked.path, asked.params["charge"]) == ("/v1/refunds", "ch_pi_test_1")


def test_refund_before_its_payment_settles_the_payment_first_and_converges(app, client, started_order, fake_stripe):
    fake_stripe.sessions["pi_test_1"] = paid_session(started_order)

    assert refund_in_stripe(client, "pi_test_1", [("re_1", PRICE)]).status_code == 200
    assert pay(client, started_order).status_code == 200  # the late completion changes nothing

    order = newest_order(app)
    assert (order.status, order.refunded_minor) == ("refunded", PRICE)
    assert count(app, Payment) == 1 and count(app, Refund) == 1
    assert count(app, Entitlement, Entitlement.status == "active") == 0
    assert ledger_sum(app) == 0


def test_refund_before_its_payment_while_stripe_is_out_of_reach_is_retried_later(
    app, client, started_order, fake_stripe,
):
    fake_stripe.sessions["pi_test_1"] = paid_session(started_order)
    fake_stripe.timeouts = 3

    assert refund_in_stripe(client, "pi_test_1", [("re_1", 4000)], event_id="evt_refund").status_code == 500
    assert count(app, ProviderEvent) == 0 and newest_order(app).status == "pending"

    assert refund_in_stripe(client, "pi_test_1", [("re_1", 4000)], event_id="evt_refund").status_code == 200
    order = newest_order(app)
    assert (order.status, order.refunded_minor) == ("paid", 4000)


def test_refund_of_a_payment_that_is_not_this_sites_is_ignored(app, client, started_order):
    assert refund_in_stripe(client, "pi_of_a_shop_elsewhere", [("re_9", 500)]).status_code == 200
    assert count(app, Refund) == 0


@pytest.mark.parametrize("stored_under", ["stripe refund id", "admin form key"])
def test_admin_refund_through_stripe_is_not_counted_again_by_its_webhook(
    app, client, started_order, fake_stripe, stored_under,
):
    pay(client, started_order)
    with app.app_context():
        order = db.session.get(Order, started_order.id)
        refund_id = payments.refund(order, 2000, "admin-refund-form-1")
        key = refund_id if stored_under == "stripe refund id" else "admin-refund-form-1"
        orders.refund(order, 2000, key, None, reason="asked by the member", provider_ref=refund_id)
        db.session.commit()

    assert refund_in_stripe(client, "pi_test_1", [(refund_id, 2000)]).status_code == 200

    assert count(app, Refund) == 1 and newest_order(app).refunded_minor == 2000
    [made] = fake_stripe.posts("/v1/refunds")
    assert made.params == {"payment_intent": "pi_test_1", "amount": "2000", "metadata[order_id]": str(started_order.id)}
    assert made.idempotency_key == "admin-refund-form-1"


def test_refund_that_times_out_is_retried_with_its_key_and_made_once(app, client, started_order, fake_stripe):
    pay(client, started_order)
    fake_stripe.lost = 1  # Stripe refunded, but its answer was lost

    with app.app_context():
        order = db.session.get(Order, started_order.id)
        refund_id = payments.refund(order, PRICE, "admin-refund-form-2")
        assert payments.refund(order, PRICE, "admin-refund-form-2") == refund_id  # the admin pressed again
        orders.refund(order, PRICE, refund_id, None, provider_ref=refund_id)
        db.session.commit()
    refund_in_stripe(client, "pi_test_1", [(refund_id, PRICE)])

    assert {sent.idempotency_key for sent in fake_stripe.posts("/v1/refunds")} == {"admin-refund-form-2"}
    assert len(fake_stripe.posts("/v1/refunds")) == 3 and fake_stripe.made == 2  # one session, one refund
    assert count(app, Refund) == 1
    assert newest_order(app).status == "refunded"


def test_every_request_to_stripe_asks_for_the_pinned_api_version(app, client, started_order, fake_stripe):
    fake_stripe.sessions["pi_test_1"] = paid_session(started_order)
    fake_stripe.refunds["ch_pi_test_1"] = refund_objects("pi_test_1", [("re_1", 2500)])
    refund_in_stripe(client, "pi_test_1", [("re_1", 2500)], listed=False)  # looks up the session and the refunds
    with app.app_context():
        payments.refund(db.session.get(Order, started_order.id), 1000, "admin-refund-form-3")

    asked = {(sent.method, sent.path) for sent in fake_stripe.sent}
    assert asked == {("POST", "/v1/checkout/sessions"), ("GET", "/v1/checkout/sessions"), ("GET", "/v1/refunds"),
                     ("POST", "/v1/refunds")}
    assert {sent.api_version for sent in fake_stripe.sent} == {payments.API_VERSION}
