"""M2 and M4 under real concurrency: one event delivered 10 times at once to KPay under
gunicorn on 127.0.0.1 (two worker processes), while the member keeps reloading the page
Stripe sent them back to, grants once. SQLite, or PostgreSQL with KPAY_TEST_DATABASE_URL."""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from kpay.app import create_app
from kpay.commerce import orders
from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import Entitlement, LedgerTransaction, Order, Payment, Product, ProviderEvent
from kpay.models.mail import EmailMessage
from plugins.pay_stripe.tests.conftest import (
    PRICE, SECRET_KEY, WEBHOOK_SECRET, count, event, paid_session, signature, stripe_settings,
)
from tests.live import Client, serve

DELIVERIES = 10
PAGE_LOADS = 5
MEMBER = "live-buyer@example.com"


@pytest.fixture
def live_site(tmp_path_factory, worker_id):
    """KPay with Stripe configured, under gunicorn with two workers."""
    with serve(
        tmp_path_factory.mktemp("stripe-live"), f"kpay_stripe_{worker_id}", demo=False, workers=2,
        plugins_enabled="pay_stripe", plugins_pay_stripe_secret_key=SECRET_KEY,
        plugins_pay_stripe_webhook_secret=WEBHOOK_SECRET,
    ) as site:
        site.add_member(MEMBER, "Live Buyer")
        yield site


@pytest.fixture
def same_database(live_site):
    """An app in this process on the live site's database, to set up and count."""
    app = create_app({
        "instance_path": str(live_site.instance), "database_url": live_site.env["KPAY_DATABASE_URL"],
        **stripe_settings(webhook_secret=WEBHOOK_SECRET),
    })
    yield app
    with app.app_context():
        db.engine.dispose()


def started_order(app) -> Order:
    """The member's order, sent to Stripe as ``start`` leaves it (Stripe cannot be reached from here)."""
    with app.app_context():
        member = db.session.scalar(sa.select(User).where(User.email == MEMBER))
        item = Product(creator_id=member.id, name="Live course", price_minor=PRICE, currency="CNY")
        db.session.add(item)
        db.session.flush()
        order = orders.checkout(member, item, "stripe", "live-order-nonce-0123456789")
        order.provider_ref = "cs_test_live_1"
        db.session.commit()
        db.session.refresh(order)
        db.session.expunge(order)
    return order


def test_ten_concurrent_deliveries_and_the_returning_member_make_one_entitlement(live_site, same_database):
    order = started_order(same_database)
    member = Client(live_site.url)
    member.log_in(MEMBER)
    body = json.dumps(event("checkout.session.completed", paid_session(order), "evt_live_1")).encode()
    header = signature(body.decode())
    start = threading.Barrier(DELIVERIES + PAGE_LOADS)
    statuses, pages = [], []

    def deliver():
        request = urllib.request.Request(
            live_site.url + "/pay_stripe/webhook", data=body, method="POST",
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )
        start.wait()
        with urllib.request.urlopen(request, timeout=60) as response:  # as long as the member's Client waits
            statuses.append(response.status)

    def come_back():
        start.wait()
        pages.append(member.get(f"/orders/{order.id}").text)

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    threads += [threading.Thread(target=come_back) for _ in range(PAGE_LOADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * DELIVERIES
    assert len(pages) == PAGE_LOADS and all("Order" in page for page in pages)
    app = same_database
    assert count(app, ProviderEvent, ProviderEvent.event_id == "evt_live_1") == 1
    assert count(app, Payment) == 1
    assert count(app, Entitlement) == 1
    assert count(app, LedgerTransaction) == 1
    assert count(app, EmailMessage, EmailMessage.subject == "Receipt for Live course") == 1
    assert "Paid" in member.get(f"/orders/{order.id}").text
    live_site.wait_for_email(MEMBER, "Receipt for Live course")
    assert [m["Subject"] for m in live_site.emails() if m["To"] == MEMBER].count("Receipt for Live course") == 1
