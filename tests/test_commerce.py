"""Buying as members do: checkout, coupons, orders that expire, entitlements, refunds, the ledger."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from kpay import hookimpl
from kpay.commerce import can_access, coupons, orders
from kpay.commerce.access import access_notes, can_access_keys
from kpay.config import ConfigError
from kpay.extensions import db
from kpay.models import EmailMessage, User
from kpay.models.base import utcnow
from kpay.models.commerce import Coupon, Entitlement, EntitlementEvent, LedgerEntry, Order, Product
from kpay.types import AccessGrant, PaymentProvider, Resource
from tests.commerce_helpers import (
    SANDBOX, account_balance, add_coupon, add_product, buy, checkout_form, ledger_sum, orders_of,
)
from tests.conftest import csrf_token
from tests.test_auth import field_errors


@pytest.fixture
def app(make_app):
    return make_app(SANDBOX)


@pytest.fixture
def creator(make_user):
    return make_user(role="creator", email="chen@example.com", name="Teacher Chen")


@pytest.fixture
def mei(make_user):
    return make_user(email="mei@example.com", name="Mei")


@pytest.fixture
def course(app, creator):
    return add_product(app, creator.id, name="Python 101", price_minor=9900)


def test_member_buys_with_the_sandbox_and_gets_access_a_receipt_and_a_balanced_ledger(
    app, client, auth, creator, mei, course
):
    auth.login(mei.email)
    started = buy(client, course, pay=False)
    assert started.status_code == 302 and started.headers["Location"] == "/pay_sandbox/1"
    sandbox = client.get("/pay_sandbox/1").get_data(as_text=True)
    assert "No money is taken" in sandbox and "¥99.00" in sandbox
    paid = client.post("/pay_sandbox/1/pay", data={"csrf_token": csrf_token(client.get("/pay_sandbox/1"))})
    assert paid.headers["Location"] == "/orders/1"
    receipt = client.get("/orders/1").get_data(as_text=True)
    assert "Paid" in receipt and "¥99.00" in receipt
    assert "Python 101" in client.get("/account/purchases").get_data(as_text=True)
    with app.app_context():
        [mail] = db.session.scalars(sa.select(EmailMessage)).all()
        assert (mail.to_address, mail.subject) == ("mei@example.com", "Receipt for Python 101")
        assert "http://localhost/orders/1" in mail.text_body
        assert can_access(db.session.get(User, mei.id), Resource("course", 1, creator.id)) is False  # no plugin says
    # The platform keeps 10 %: the creator is owed the rest; every transaction sums to zero.
    assert account_balance(app, "provider:sandbox") == 9900
    assert account_balance(app, f"creator:{creator.id}") == -8910
    assert account_balance(app, "platform:fees") == -990
    assert ledger_sum(app) == 0


def test_paying_twice_changes_nothing(app, client, auth, mei, course):
    auth.login(mei.email)
    buy(client, course)
    again = client.post("/pay_sandbox/1/pay", data={"csrf_token": csrf_token(client.get("/orders/1"))})
    assert again.headers["Location"] == "/orders/1"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Entitlement)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailMessage)) == 1
    assert account_balance(app, "provider:sandbox") == 9900


def test_one_checkout_form_posted_twice_makes_one_order(app, client, auth, mei, course):
    auth.login(mei.email)
    form = checkout_form(client, course)
    first = client.post(f"/shop/{course}/checkout", data=form)
    second = client.post(f"/shop/{course}/checkout", data=form)
    assert first.headers["Location"] == second.headers["Location"] == "/pay_sandbox/1"
    assert len(orders_of(app, mei.id)) == 1


def test_the_server_prices_the_order_whatever_the_form_says(app, client, auth, mei, course):
    auth.login(mei.email)
    buy(client, course, pay=False, amount_minor="1", price="0.01", currency="USD")
    [order] = orders_of(app, mei.id)
    assert (order.amount_minor, order.currency) == (9900, "CNY")


def test_visitors_are_asked_to_log_in_and_others_orders_are_hidden(app, client, auth, make_user, mei, course):
    page = client.get(f"/shop/{course}")
    assert "Log in to buy" in page.get_data(as_text=True)
    refused = client.post(f"/shop/{course}/checkout", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    auth.login(mei.email)
    buy(client, course)
    auth.logout()
    auth.login(make_user().email)
    assert client.get("/orders/1").status_code == 404
    assert client.get("/pay_sandbox/1").status_code == 404


@pytest.mark.parametrize(
    ("coupon", "message"),
    [
        ({"code": "OTHER"}, "There is no coupon with this code."),
        ({"valid_until": utcnow() - timedelta(days=1)}, "This coupon has expired."),
        ({"valid_from": utcnow() + timedelta(days=1)}, "This coupon cannot be used yet."),
        ({"max_redemptions": 0}, "This coupon has been used up."),
        ({"active": False}, "There is no coupon with this code."),
    ],
)
def test_a_coupon_that_cannot_be_used_is_explained_beside_the_field(app, client, auth, creator, mei, course,
                                                                       coupon, message):
    add_coupon(app, creator.id, **{"code": "SAVE20", **coupon})
    auth.login(mei.email)
    response = buy(client, course, coupon="save20 ")
    assert response.status_code == 422
    assert message in field_errors(response, "coupon")
    assert orders_of(app, mei.id) == []


def test_creators_coupons_take_money_off_their_own_products_only(app, client, auth, make_user, creator, mei, course):
    other = make_user(role="creator")
    theirs = add_product(app, other.id, name="Not Chen's")
    add_coupon(app, creator.id, code="CHEN")
    auth.login(mei.email)
    assert "This coupon is not for this product." in field_errors(buy(client, theirs, coupon="CHEN"), "coupon")
    buy(client, course, coupon="CHEN")
    [order] = orders_of(app, mei.id)
    assert (order.list_price_minor, order.discount_minor, order.amount_minor) == (9900, 1980, 7920)


def test_a_member_uses_a_coupon_as_often_as_it_allows(app, client, auth, creator, mei, course):
    add_coupon(app, creator.id, code="ONCE", per_member=1)
    auth.login(mei.email)
    buy(client, course, coupon="ONCE", pay=False)
    second = add_product(app, creator.id, name="Python 102")
    assert "You have already used this coupon." in field_errors(buy(client, second, coupon="ONCE"), "coupon")


def test_a_full_discount_is_paid_at_once_without_a_provider(app, client, auth, creator, mei, course):
    add_coupon(app, creator.id, code="FREE", value=100)
    auth.login(mei.email)
    response = buy(client, course, coupon="FREE", pay=False)
    assert response.headers["Location"] == "/orders/1"
    [order] = orders_of(app, mei.id)
    assert (order.status, order.amount_minor, order.provider) == ("paid", 0, "free")
    assert ledger_sum(app) == 0


@settings(deadline=None)  # hypothesis's 200 ms per example is a timed assertion on a busy machine
@given(
    price=st.integers(min_value=0, max_value=10_000_000),
    kind=st.sampled_from(["percent", "fixed"]),
    value=st.integers(min_value=1, max_value=20_000_000),
)
def test_a_discount_never_makes_a_total_below_zero_or_above_the_price(price, kind, value):
    value = min(value, 100) if kind == "percent" else value
    off = coupons.discount(Coupon(kind=kind, value=value), price)
    assert 0 <= price - off <= price


def test_an_unpaid_order_expires_after_30_minutes_and_gives_its_coupon_back(app, client, auth, creator, mei, course):
    coupon_id = add_coupon(app, creator.id, code="LAST", max_redemptions=1)
    auth.login(mei.email)
    buy(client, course, coupon="LAST", pay=False)
    with app.app_context():
        assert db.session.get(Coupon, coupon_id).used == 1
        with time_machine.travel(utcnow() + timedelta(minutes=29)):
            assert orders.expire_unpaid() == 0
        with time_machine.travel(utcnow() + timedelta(minutes=31)):
            assert orders.expire_unpaid() == 1
        db.session.expire_all()
        assert db.session.get(Coupon, coupon_id).used == 0
        assert db.session.get(Order, 1).status == "expired"
    buy(client, course, coupon="LAST")
    assert [o.status for o in orders_of(app, mei.id)] == ["expired", "paid"]


def test_an_order_paid_after_it_expired_counts_its_coupon_again(app, client, auth, creator, mei, course):
    """A provider's page can outlive the order (a Stripe session lasts a day): the money wins."""
    coupon_id = add_coupon(app, creator.id, code="LATE", max_redemptions=5)
    auth.login(mei.email)
    buy(client, course, coupon="LATE", pay=False)
    with app.test_request_context():
        with time_machine.travel(utcnow() + timedelta(minutes=31)):
            orders.expire_unpaid()
        assert db.session.get(Coupon, coupon_id).used == 0
        assert orders.mark_paid(1, "sandbox", "late-1", 7920, "CNY")
        db.session.commit()
        assert db.session.get(Coupon, coupon_id).used == 1
        assert db.session.get(Order, 1).status == "paid"
        from kpay.models.commerce import OrderEvent

        names = db.session.scalars(sa.select(OrderEvent.name).order_by(OrderEvent.id)).all()
        assert names == ["created", "expired", "paid_late", "paid"]


def test_cancelling_an_order_gives_its_coupon_back(app, client, auth, creator, mei, course):
    coupon_id = add_coupon(app, creator.id, code="BACK", max_redemptions=1)
    auth.login(mei.email)
    buy(client, course, coupon="BACK", pay=False)
    client.post("/orders/1/cancel", data={"csrf_token": csrf_token(client.get("/orders/1"))})
    with app.app_context():
        assert db.session.get(Order, 1).status == "cancelled"
        assert db.session.get(Coupon, coupon_id).used == 0


class Courses:
    """A plugin whose course 7 is unlocked by product 1 (and by a bundle, product 2)."""

    @hookimpl
    def kpay_resource_products(self, resource):
        if resource.kind == "course" and resource.id == 7:
            return [1, 2]
        return None


def test_hook_kpay_resource_products(make_app, make_user):
    app = make_app(SANDBOX, plugins=[Courses()])
    creator = make_user(role="creator")
    buyer, stranger, admin = make_user(), make_user(), make_user(role="admin")
    add_product(app, creator.id)
    bundle = add_product(app, creator.id, name="Bundle")
    paid = Resource("course", 7, creator_id=creator.id)
    with app.test_request_context():
        order = orders.checkout(db.session.get(User, buyer.id), db.session.get(Product, bundle), "sandbox", "n" * 24)
        orders.mark_paid(order.id, "sandbox", "ref-1", order.amount_minor, order.currency)
        db.session.commit()
        user = lambda u: db.session.get(User, u.id)  # noqa: E731
        assert can_access(user(buyer), paid)
        assert not can_access(user(stranger), paid)
        assert not can_access(None, paid)
        assert can_access(user(admin), paid) and can_access(user(creator), paid)
        assert can_access(None, Resource("course", 8, free=True))
        assert not can_access(user(buyer), Resource("course", 8, creator_id=creator.id))


class Levels:
    """A plugin that opens course 7 to the member called Senior, and says so to the others."""

    @hookimpl
    def kpay_access_grants(self, user, resource):
        if resource.key != "course:7":
            return None
        if getattr(user, "display_name", "") == "Senior":
            return AccessGrant(True)
        return AccessGrant(False, "Opens at level 3")


def test_hook_kpay_access_grants(make_app, make_user):
    app = make_app(SANDBOX, plugins=[Courses(), Levels()])
    creator = make_user(role="creator")
    senior, junior = make_user(name="Senior"), make_user(name="Junior")
    add_product(app, creator.id)
    paid = Resource("course", 7, creator_id=creator.id)
    with app.test_request_context():
        user = lambda u: db.session.get(User, u.id)  # noqa: E731
        assert can_access(user(senior), paid)
        assert not can_access(user(junior), paid) and not can_access(None, paid)
        assert not can_access(user(senior), Resource("course", 8, creator_id=creator.id))
        assert access_notes(user(junior), paid) == ["Opens at level 3"]
        assert access_notes(None, Resource("course", 8)) == []


class DescribedCourses(Courses):
    """``Courses``, also describing its courses many at once: 7 paid (by its creator), 8 free."""

    def __init__(self, creator_id: int):
        self.creator_id = creator_id

    @hookimpl
    def kpay_resources(self, keys):
        known = {"course:7": (Resource("course", 7, creator_id=self.creator_id), [1, 2]),
                 "course:8": (Resource("course", 8, free=True), [])}
        return {key: known[key] for key in keys if key in known}


def test_hook_kpay_resources(make_app, make_user):
    """What plugins describe through ``kpay_resources`` lets ``can_access_keys`` answer many keys
    at once exactly as ``can_access`` answers each."""
    creator = make_user(role="creator")
    app = make_app(SANDBOX, plugins=[DescribedCourses(creator.id)])
    buyer, stranger, admin = make_user(), make_user(), make_user(role="admin")
    add_product(app, creator.id)
    bundle = add_product(app, creator.id, name="Bundle")
    keys = ["course:7", "course:8", "course:9", "lesson:1"]  # 9 and lesson:1: no plugin knows them
    with app.test_request_context():
        order = orders.checkout(db.session.get(User, buyer.id), db.session.get(Product, bundle), "sandbox", "n" * 24)
        orders.mark_paid(order.id, "sandbox", "ref-1", order.amount_minor, order.currency)
        db.session.commit()
        for who in (buyer, stranger, admin, creator, None):
            user = db.session.get(User, who.id) if who else None
            one_by_one = {key for key, resource in (
                ("course:7", Resource("course", 7, creator_id=creator.id)), ("course:8", Resource("course", 8, free=True)),
                ("course:9", Resource("course", 9)), ("lesson:1", Resource("lesson", 1))) if can_access(user, resource)}
            assert can_access_keys(user, keys) == one_by_one, who
        assert can_access_keys(db.session.get(User, buyer.id), keys) == {"course:7", "course:8"}


def test_membership_renewed_early_adds_its_days_and_an_ended_one_gives_no_access(make_app, make_user):
    app = make_app(SANDBOX, plugins=[Courses()])
    creator, member = make_user(role="creator"), make_user()
    add_product(app, creator.id, name="Circle", kind="membership", period_days=30, price_minor=3000)
    circle = Resource("course", 7, creator_id=creator.id)
    start = utcnow()
    with app.test_request_context():
        def buy_membership(nonce):
            order = orders.checkout(db.session.get(User, member.id), db.session.get(Product, 1), "sandbox", nonce)
            orders.mark_paid(order.id, "sandbox", nonce, order.amount_minor, order.currency)
            db.session.commit()

        with time_machine.travel(start, tick=False):
            buy_membership("a" * 24)
        with time_machine.travel(start + timedelta(days=20), tick=False):
            buy_membership("b" * 24)  # ten days early
        ends = sorted(e.ends_at for e in db.session.scalars(sa.select(Entitlement)))
        assert ends == [start + timedelta(days=30), start + timedelta(days=60)]
        with time_machine.travel(start + timedelta(days=59, hours=23), tick=False):
            assert can_access(db.session.get(User, member.id), circle)
        with time_machine.travel(start + timedelta(days=60, seconds=1), tick=False):
            assert not can_access(db.session.get(User, member.id), circle)


def test_refunds_reverse_the_creators_share_and_a_full_one_ends_access(make_app, make_user):
    app = make_app(SANDBOX, plugins=[Courses()])
    creator, member, admin = make_user(role="creator"), make_user(), make_user(role="admin")
    add_product(app, creator.id, price_minor=10000)
    with app.test_request_context():
        order = orders.checkout(db.session.get(User, member.id), db.session.get(Product, 1), "sandbox", "r" * 24)
        orders.mark_paid(order.id, "sandbox", "pay-1", 10000, "CNY")
        db.session.commit()
        actor = db.session.get(User, admin.id)
        assert orders.refund(order, 2500, "refund-1", actor, "partly unhappy") is not None
        assert orders.refund(order, 2500, "refund-1", actor, "double click") is None
        db.session.commit()
        assert account_balance(app, f"creator:{creator.id}") == -(9000 - 2250)
        assert account_balance(app, "platform:fees") == -(1000 - 250)
        assert can_access(db.session.get(User, member.id), Resource("course", 7, creator.id))
        with pytest.raises(ValueError):
            orders.refund(order, 7501, "refund-2", actor)
        db.session.rollback()
        orders.refund(order, 7500, "refund-3", actor, "the rest")
        db.session.commit()
        assert db.session.get(Order, order.id).status == "refunded"
        assert not can_access(db.session.get(User, member.id), Resource("course", 7, creator.id))
        assert [e.name for e in db.session.scalars(sa.select(EntitlementEvent).order_by(EntitlementEvent.id))] == [
            "granted", "revoked",
        ]
    assert account_balance(app, f"creator:{creator.id}") == 0
    assert account_balance(app, "platform:fees") == 0
    assert account_balance(app, "provider:sandbox") == 0
    assert ledger_sum(app) == 0


def test_a_payment_of_the_wrong_amount_grants_nothing(app, mei, course):
    with app.test_request_context():
        order = orders.checkout(db.session.get(User, mei.id), db.session.get(Product, course), "sandbox", "w" * 24)
        db.session.commit()
        with pytest.raises(orders.PaymentMismatch):
            orders.mark_paid(order.id, "sandbox", "pay-x", 100, "CNY")
        db.session.rollback()
        assert db.session.get(Order, order.id).status == "pending"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Entitlement)) == 0


def test_ledger_rows_cannot_be_changed_only_reversed(app, client, auth, mei, course):
    auth.login(mei.email)
    buy(client, course)
    with app.app_context(), pytest.raises(sa.exc.DatabaseError):
        db.session.execute(sa.update(LedgerEntry).values(amount_minor=0))
        db.session.flush()


def test_hook_kpay_payment_providers(make_app, make_user, client, monkeypatch):
    class Cash:
        @hookimpl
        def kpay_payment_providers(self):
            return [PaymentProvider("cash", "Cash at the door", lambda order: ("pay at the door", 200))]

    app = make_app(plugins=[Cash()])
    creator, member = make_user(role="creator"), make_user()
    course = add_product(app, creator.id)
    browser = app.test_client()
    from tests.conftest import Auth

    Auth(browser).login(member.email)
    assert "Cash at the door" in browser.get(f"/shop/{course}").get_data(as_text=True)
    form = {**checkout_form(browser, course), "provider": "cash"}
    assert browser.post(f"/shop/{course}/checkout", data=form).get_data(as_text=True) == "pay at the door"

    monkeypatch.setenv("KPAY_SECRET_KEY", "s" * 40)
    with pytest.raises(ConfigError, match="'sandbox' takes no real money"):
        make_app({"env": "production", **SANDBOX})


def test_members_are_reminded_once_before_a_membership_ends_with_a_coupon_of_their_own(make_app, make_user):
    app = make_app({
        "site_url": "http://club.example", **SANDBOX,
        "commerce": {"renewal_reminder_days": 7, "renewal_coupon_percent": 15},
    })
    creator, member, renewed = make_user(role="creator"), make_user(), make_user()
    add_product(app, creator.id, name="Circle", kind="membership", period_days=30, price_minor=3000)
    start = utcnow()
    with app.app_context():
        def buy_membership(user, nonce):
            order = orders.checkout(db.session.get(User, user.id), db.session.get(Product, 1), "sandbox", nonce)
            orders.mark_paid(order.id, "sandbox", nonce, order.amount_minor, order.currency)
            db.session.commit()

        with time_machine.travel(start, tick=False):
            buy_membership(member, "m" * 24)
            buy_membership(renewed, "r" * 24)
            buy_membership(renewed, "s" * 24)  # already renewed: nothing to remind
        from kpay.commerce.renewals import send_renewal_reminders
        from kpay.models import Notification

        with time_machine.travel(start + timedelta(days=22), tick=False):
            send_renewal_reminders()
            assert db.session.scalars(sa.select(Notification)).all() == []
        with time_machine.travel(start + timedelta(days=24), tick=False):
            send_renewal_reminders()
            send_renewal_reminders()
        [reminder] = db.session.scalars(sa.select(Notification)).all()
        assert reminder.user_id == member.id and reminder.url == "/shop/1"
        code = reminder.text.split("Use the code ")[1].split(" ")[0]
        assert reminder.text.startswith("Your membership of Circle ends on")
        coupon = db.session.scalar(sa.select(Coupon).where(Coupon.code == code))
        assert (coupon.value, coupon.product_id, coupon.max_redemptions) == (15, 1, 1)
        [mail] = db.session.scalars(sa.select(EmailMessage).where(EmailMessage.subject.like("%membership%"))).all()
        assert "http://club.example/shop/1" in mail.text_body


def test_refunding_a_membership_moves_the_renewal_already_paid_for_earlier(make_app, make_user):
    app = make_app(SANDBOX, plugins=[Courses()])
    creator, member = make_user(role="creator"), make_user()
    add_product(app, creator.id, name="Circle", kind="membership", period_days=30, price_minor=3000)
    circle = Resource("course", 7, creator_id=creator.id)
    start = utcnow()
    with app.test_request_context(), time_machine.travel(start, tick=False):
        paid = []
        for nonce in ("p" * 24, "q" * 24):
            order = orders.checkout(db.session.get(User, member.id), db.session.get(Product, 1), "sandbox", nonce)
            orders.mark_paid(order.id, "sandbox", nonce, order.amount_minor, order.currency)
            paid.append(order)
        db.session.commit()
        orders.refund(paid[0], 3000, "refund-first", None, "changed my mind")
        db.session.commit()
        renewal = db.session.scalar(sa.select(Entitlement).where(Entitlement.source == f"order:{paid[1].id}"))
        assert (renewal.starts_at, renewal.ends_at) == (start, start + timedelta(days=30))
        assert can_access(db.session.get(User, member.id), circle)


def test_a_member_gets_a_freed_coupon_use_back(app, client, auth, creator, mei, course):
    add_coupon(app, creator.id, code="TWICE", per_member=2)
    auth.login(mei.email)
    buy(client, course, coupon="TWICE", pay=False)
    buy(client, course, coupon="TWICE", pay=False)
    client.post("/orders/1/cancel", data={"csrf_token": csrf_token(client.get("/orders/1"))})
    assert buy(client, course, coupon="TWICE", pay=False).status_code == 302
    assert "You have already used this coupon." in field_errors(buy(client, course, coupon="TWICE"), "coupon")


def test_an_expired_order_cannot_be_paid_in_the_sandbox(app, client, auth, mei, course):
    auth.login(mei.email)
    buy(client, course, pay=False)
    with app.app_context(), time_machine.travel(utcnow() + timedelta(minutes=31)):
        orders.expire_unpaid()
    client.post("/pay_sandbox/1/pay", data={"csrf_token": csrf_token(client.get("/orders/1"))})
    assert [o.status for o in orders_of(app, mei.id)] == ["expired"]


def test_my_purchases_lists_only_what_the_member_still_has(make_app, make_user):
    app = make_app(SANDBOX)
    creator, member = make_user(role="creator"), make_user()
    add_product(app, creator.id, name="Old circle", kind="membership", period_days=30, price_minor=3000)
    with app.test_request_context(), time_machine.travel(utcnow() - timedelta(days=60), tick=False):
        order = orders.checkout(db.session.get(User, member.id), db.session.get(Product, 1), "sandbox", "o" * 24)
        orders.mark_paid(order.id, "sandbox", "old", order.amount_minor, order.currency)
        db.session.commit()
    browser = app.test_client()
    from tests.conftest import Auth

    Auth(browser).login(member.email)
    page = browser.get("/account/purchases").get_data(as_text=True)
    held = page.split("<h2>What I have</h2>")[1].split("</section>")[0]
    assert "Old circle" not in held and "Old circle" in page  # still among the orders


def test_a_provider_refund_already_recorded_is_not_counted_again(app, mei, course):
    with app.test_request_context():
        order = orders.checkout(db.session.get(User, mei.id), db.session.get(Product, course), "sandbox", "d" * 24)
        orders.mark_paid(order.id, "sandbox", "pay-d", order.amount_minor, order.currency)
        assert orders.refund(order, 1000, "re_123", None, "from the provider's webhook") is not None
        assert orders.refund(order, 1000, "admin:nonce", None, "the admin's retry", provider_ref="re_123") is None
        db.session.commit()
        assert db.session.get(Order, order.id).refunded_minor == 1000


@pytest.mark.parametrize("typed", ["sNaN", "NaN", "Infinity", "1e400000000", "-1", "0.001", "abc", ""])
def test_amounts_that_are_not_money_are_refused_not_crashed_on(typed):
    from kpay.commerce.money import parse_money

    assert parse_money(typed, "CNY") is None


def test_an_order_keeps_the_products_name_as_it_was_sold(app, client, auth, mei, course):
    auth.login(mei.email)
    buy(client, course, pay=False)
    with app.app_context():
        db.session.get(Product, course).name = "Python 101, second edition"
        db.session.commit()
    client.post("/pay_sandbox/1/pay", data={"csrf_token": csrf_token(client.get("/pay_sandbox/1"))})
    with app.app_context():
        assert db.session.scalar(sa.select(EmailMessage.subject)) == "Receipt for Python 101"


def test_my_purchases_come_newest_first_twenty_a_page(app, client, auth, mei, course):
    with app.app_context():
        db.session.add_all(
            Order(user_id=mei.id, product_id=course, provider="sandbox", status="expired", list_price_minor=9900,
                  amount_minor=9900, currency="CNY", nonce=f"mine-{n:04d}-nonce", expires_at=utcnow())
            for n in range(25)
        )
        db.session.commit()
        ids = db.session.scalars(sa.select(Order.id).where(Order.user_id == mei.id).order_by(Order.id.desc())).all()
    auth.login(mei.email)
    first = client.get("/account/purchases").get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'href="/orders/(\d+)"', first)]
    assert shown == ids[:20] and 'rel="prev"' not in first
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', first).group(1))
    second = client.get(following).get_data(as_text=True)
    assert [int(n) for n in re.findall(r'href="/orders/(\d+)"', second)] == ids[20:]
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_shop_shows_a_page_of_products_newest_first_and_links_to_the_older_ones(app, client, creator):
    for n in range(30):
        add_product(app, creator.id, name=f"Guide {n:02d}")
    first = client.get("/shop/").get_data(as_text=True)
    shown = re.findall(r">(Guide \d\d)</a>", first)
    assert shown == [f"Guide {n:02d}" for n in range(29, 5, -1)]  # 24, newest first
    older = html.unescape(re.search(r'<a href="([^"]+)" rel="next">', first).group(1))
    rest = client.get(older).get_data(as_text=True)
    assert re.findall(r">(Guide \d\d)</a>", rest) == [f"Guide {n:02d}" for n in range(5, -1, -1)]
    assert 'rel="prev"' in rest and 'rel="next"' not in rest
