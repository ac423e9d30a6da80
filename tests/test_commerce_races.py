"""Concurrency against a live gunicorn on 127.0.0.1 (SQLite, or PostgreSQL when configured):
a coupon's cap and a form's one-time nonce hold when many requests arrive at once (M7, M11),
and fifty members log in at once without an error (F20)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from kpay.accounts import create_user
from kpay.app import create_app
from kpay.extensions import db
from kpay.models.commerce import Coupon, CouponRedemption, Order, Product
from tests.commerce_helpers import checkout_form
from tests.conftest import PASSWORD, csrf_token
from tests.live import Client, serve

MEMBERS = 50


@pytest.fixture(scope="module")
def shop(tmp_path_factory, worker_id):
    """A live site selling one course with a 3-use coupon, and 50 members to want it."""
    instance = tmp_path_factory.mktemp("race-instance")
    with serve(
        instance, f"kpay_race_{worker_id}", demo=False, workers=4, start_timeout=180,
        plugins_enabled="pay_sandbox", trusted_proxies="1",
    ) as site:
        app = create_app({
            "instance_path": str(instance), "database_url": site.env["KPAY_DATABASE_URL"],
            "plugins": {"enabled": ["pay_sandbox"]},
        })
        with app.app_context():
            creator = create_user("chen@example.com", "Chen", PASSWORD, role="creator")
            for n in range(MEMBERS):
                create_user(f"member{n}@example.com", f"Member {n}", PASSWORD)
            db.session.flush()
            db.session.add(Product(creator_id=creator.id, name="Course", price_minor=9900, currency="CNY"))
            db.session.add(Coupon(code="THREE", creator_id=creator.id, kind="percent", value=50, max_redemptions=3))
            db.session.commit()
        yield site, app
        with app.app_context():
            db.engine.dispose()


def logged_in(site, n: int) -> Client:
    client = Client(site.url, forwarded_for=f"10.0.{n // 250}.{n % 250 + 1}")
    client.log_in(f"member{n}@example.com", PASSWORD)
    return client


def all_at_once(calls) -> list:
    """Run ``calls`` in threads released together; their results."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_fifty_members_log_in_at_once_without_an_error(shop):
    """F20: password checks hold no write lock, so log-ins do not queue behind each other's."""
    site, _app = shop
    clients = [Client(site.url, forwarded_for=f"10.1.{n // 250}.{n % 250 + 1}") for n in range(MEMBERS)]
    forms = [{"email": f"member{n}@example.com", "password": PASSWORD, "csrf_token": csrf_token(c.get("/login"))}
             for n, c in enumerate(clients)]
    answers = all_at_once([
        (lambda c=c, f=f: c.post("/login", f)) for c, f in zip(clients, forms, strict=True)
    ])
    assert [a.status for a in answers] == [302] * MEMBERS


def test_fifty_members_racing_for_a_three_use_coupon_get_exactly_three(shop):
    site, app = shop
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda n: logged_in(site, n), range(MEMBERS)))
    forms = [{**checkout_form(c, 1), "coupon": "THREE"} for c in clients]
    answers = all_at_once([
        (lambda c=c, f=f: c.post("/shop/1/checkout", f)) for c, f in zip(clients, forms, strict=True)
    ])
    statuses = sorted(a.status for a in answers)
    assert statuses.count(302) == 3 and statuses.count(422) == MEMBERS - 3, statuses
    assert all("This coupon has been used up." in a.text for a in answers if a.status == 422)
    with app.app_context():
        assert db.session.scalar(sa.select(Coupon.used)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CouponRedemption)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 3


def test_one_checkout_form_posted_twenty_times_at_once_makes_one_order(shop):
    site, app = shop
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
    client = logged_in(site, MEMBERS - 1)
    form = checkout_form(client, 1)
    answers = all_at_once([lambda: client.post("/shop/1/checkout", form)] * 20)
    assert {a.status for a in answers} == {302}
    assert len({a.headers["Location"] for a in answers}) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == before + 1
