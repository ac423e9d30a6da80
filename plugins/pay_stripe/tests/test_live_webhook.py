"""M2 and M4 under real concurrency: one event delivered 10 times at once to KPay under
gunicorn on 127.0.0.1 (two worker processes), while the member keeps reloading the page
Stripe sent them back to, grants once. SQLite, or PostgreSQL with KPAY_TEST_DATABASE_URL."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
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
# The browser tests' way of serving a site; no browser is needed here.
from tests.e2e.conftest import BIN, DEMO_PASSWORD, ROOT, Site, _database, _free_port, _wait_until_up

DELIVERIES = 10
PAGE_LOADS = 5
MEMBER = "live-buyer@example.com"


@pytest.fixture
def live_site(tmp_path_factory, worker_id):
    """KPay with Stripe configured, under gunicorn with two workers of four threads each."""
    instance = tmp_path_factory.mktemp("stripe-live")
    with _database(instance, worker_id) as database_url:
        port = _free_port()
        env = {
            **os.environ,
            "KPAY_INSTANCE_PATH": str(instance),
            "KPAY_DATABASE_URL": database_url,
            "KPAY_REDIS_URL": "",
            "KPAY_SITE_URL": f"http://127.0.0.1:{port}",
            "KPAY_PLUGINS_ENABLED": "pay_stripe",
            "KPAY_PLUGINS_PAY_STRIPE_SECRET_KEY": SECRET_KEY,
            "KPAY_PLUGINS_PAY_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        site = Site(f"http://127.0.0.1:{port}", instance, env)
        site.kpay("db", "upgrade")
        site.add_member(MEMBER, "Live Buyer")
        log = open(instance / "gunicorn.log", "wb")  # noqa: SIM115 (open while the server runs)
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(site.url, server)
            yield site
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()


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


def logged_in(site: Site):
    """A cookie-keeping opener logged in as the member through the real form."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(site.url + "/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": MEMBER, "password": DEMO_PASSWORD, "csrf_token": token}).encode()
    assert "Log out" in opener.open(site.url + "/login", form).read().decode()
    return opener


def test_ten_concurrent_deliveries_and_the_returning_member_make_one_entitlement(live_site, same_database):
    order = started_order(same_database)
    member = logged_in(live_site)
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
        with urllib.request.urlopen(request, timeout=30) as response:
            statuses.append(response.status)

    def come_back():
        start.wait()
        pages.append(member.open(f"{live_site.url}/orders/{order.id}", timeout=30).read().decode())

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
    assert "Paid" in member.open(f"{live_site.url}/orders/{order.id}").read().decode()
    live_site.wait_for_email(MEMBER, "Receipt for Live course")
    assert [m["Subject"] for m in live_site.emails() if m["To"] == MEMBER].count("Receipt for Live course") == 1
