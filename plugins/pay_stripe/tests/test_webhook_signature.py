"""M1: only events Stripe signed, over the very bytes received, within 300 s, are read."""

from __future__ import annotations

import json
import time

import pytest

from kpay.config import ConfigError
from kpay.models.commerce import Payment, ProviderEvent
from tests.conftest import Auth
from plugins.pay_stripe.tests.conftest import (
    OLD_WEBHOOK_SECRET, WEBHOOK_SECRET, count, deliver, event, newest_order, paid_session, sign, signature,
    stripe_settings,
)


def completed(order) -> dict:
    return event("checkout.session.completed", paid_session(order))


def assert_unpaid(app, order) -> None:
    assert newest_order(app).status == "pending"
    assert count(app, Payment) == 0 and count(app, ProviderEvent) == 0


@pytest.mark.parametrize("header", [None, "", "nonsense", "t=yesterday,v1=00", "t=1,v0=00"])
def test_event_without_a_readable_signature_is_refused(app, client, started_order, header):
    assert deliver(client, completed(started_order), header=header).status_code == 400
    assert_unpaid(app, started_order)


def test_event_signed_with_another_secret_is_refused(app, client, started_order):
    body = json.dumps(completed(started_order))
    assert deliver(client, body, header=signature(body, secret="whsec_someone_else")).status_code == 400
    assert_unpaid(app, started_order)


def test_event_signed_301_seconds_ago_is_refused(app, client, started_order):
    body = json.dumps(completed(started_order))
    assert deliver(client, body, header=signature(body, at=int(time.time()) - 301)).status_code == 400
    assert_unpaid(app, started_order)


def test_event_signed_a_few_seconds_ago_is_accepted(app, client, started_order):
    body = json.dumps(completed(started_order))
    assert deliver(client, body, header=signature(body, at=int(time.time()) - 60)).status_code == 200
    assert newest_order(app).status == "paid"


def test_reserialized_body_does_not_match_the_signature_of_the_original(app, client, started_order):
    original = json.dumps(completed(started_order))
    same_json_other_bytes = json.dumps(json.loads(original), indent=2)
    assert deliver(client, same_json_other_bytes, header=signature(original)).status_code == 400
    assert_unpaid(app, started_order)


def test_header_with_two_v1_values_passes_when_one_of_them_is_valid(app, client, started_order):
    body = json.dumps(completed(started_order))
    at = int(time.time())
    header = f"t={at},v1={sign(body, 'whsec_expired_secret', at)},v1={sign(body, WEBHOOK_SECRET, at)}"
    assert deliver(client, body, header=header).status_code == 200
    assert newest_order(app).status == "paid"


def test_header_with_two_invalid_v1_values_is_refused(app, client, started_order):
    body = json.dumps(completed(started_order))
    at = int(time.time())
    header = f"t={at},v1={sign(body, 'whsec_a', at)},v1={sign(body, 'whsec_b', at)}"
    assert deliver(client, body, header=header).status_code == 400
    assert_unpaid(app, started_order)


def test_event_signed_with_the_rolled_secret_is_accepted_while_both_are_configured(app, client, started_order):
    body = json.dumps(completed(started_order))
    assert deliver(client, body, header=signature(body, secret=OLD_WEBHOOK_SECRET)).status_code == 200
    assert newest_order(app).status == "paid"


def test_unknown_event_type_gets_200_and_changes_nothing(app, client, started_order):
    response = deliver(client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200
    assert_unpaid(app, started_order)


def test_signed_body_that_is_not_an_event_is_refused(app, client, started_order):
    assert deliver(client, '{"hello": "world"}').status_code == 400
    assert deliver(client, "not json").status_code == 400
    assert_unpaid(app, started_order)


def test_webhook_needs_no_csrf_token_and_no_session(app, started_order):
    anonymous = app.test_client()
    assert deliver(anonymous, completed(started_order)).status_code == 200


def test_secret_key_without_webhook_secret_stops_start_up(make_app):
    with pytest.raises(ConfigError, match=r"^plugins\.pay_stripe\.webhook_secret: needed with secret_key"):
        make_app(stripe_settings(webhook_secret=""))


@pytest.mark.parametrize("changes, key", [
    ({"secret_key": "pk_live_publishable"}, "secret_key"),
    ({"webhook_secret": "whsec_ok, wrong"}, "webhook_secret"),
])
def test_keys_of_the_wrong_kind_stop_start_up_without_echoing_them(make_app, changes, key):
    with pytest.raises(ConfigError, match=rf"^plugins\.pay_stripe\.{key}: expected") as error:
        make_app(stripe_settings(**changes))
    assert "publishable" not in str(error.value) and "wrong" not in str(error.value)


def test_card_payment_is_offered_only_once_a_secret_key_is_set(make_app, client, member, product):
    assert "Card (Stripe)" in client.get(f"/shop/{product.id}").get_data(as_text=True)
    without_key = make_app(stripe_settings(secret_key="", webhook_secret="")).test_client()
    Auth(without_key).login(member.email)
    page = without_key.get(f"/shop/{product.id}").get_data(as_text=True)
    assert "Calligraphy course" in page and "Card (Stripe)" not in page
