"""Admins find orders, read an order's whole story and refund it; only they may."""

from __future__ import annotations

import html
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from kpay import hookimpl
from kpay.commerce import orders
from kpay.extensions import db
from kpay.models import AuditEntry, User
from kpay.models.commerce import LedgerTransaction, Order, Payment, Product, Refund
from kpay.types import PaymentProvider
from tests.conftest import Auth, csrf_token
from tests.commerce_helpers import (
    account_balance, add_product, buy_paid, count, entitlement_status, ledger_sum, notifications, order,
)


class RefundingPay:
    """A provider that pays refunds back itself, as Stripe does: it keeps each request."""

    def __init__(self):
        self.refunds: list[tuple[int, int, str]] = []
        self.down = False

    @hookimpl
    def kpay_payment_providers(self):
        return [PaymentProvider("refundpay", "RefundPay", start=lambda order: None, refund=self.refund)]

    def refund(self, order, amount_minor: int, key: str) -> str:
        if self.down:
            raise ConnectionError("RefundPay is unreachable")
        self.refunds.append((order.id, amount_minor, key))
        return f"re_{len(self.refunds)}"


@pytest.fixture
def refundpay():
    return RefundingPay()


@pytest.fixture
def app(make_app, refundpay):
    return make_app(plugins=[refundpay])


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", email="ada@example.com", name="Ada Admin")


@pytest.fixture
def creator(make_user):
    return make_user(role="creator", email="chen@example.com", name="Teacher Chen")


@pytest.fixture
def member(make_user):
    return make_user(email="mei@example.com", name="Mei")


@pytest.fixture
def admin_client(client, auth, admin):
    auth.login(admin.email)
    return client


@pytest.fixture
def course(app, creator):
    return add_product(app, creator.id, name="Python for Beginners", price_minor=19900)


def listed(response) -> list[int]:
    """The order numbers in the list, top to bottom."""
    text = response.get_data(as_text=True)
    rows = text[text.index('<section id="orders">'):]
    return [int(n) for n in re.findall(r'<td><a href="/admin/orders/(\d+)">', rows)]


def refund(client, order_id: int, amount: str, reason: str = "", nonce: str | None = None):
    """Fill in the refund form on the order's page and send it."""
    page = client.get(f"/admin/orders/{order_id}")
    if nonce is None:
        field = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
        nonce = field.group(1)
    return client.post(f"/admin/orders/{order_id}/refund", data={
        "csrf_token": csrf_token(page), "amount": amount, "reason": reason, "nonce": nonce,
    })


def test_members_and_creators_are_refused_and_visitors_are_sent_to_log_in(app, client, auth, member, creator, course):
    order_id = buy_paid(app, member, course, provider="bank")
    pages = ["/admin/orders", "/admin/orders?status=paid", f"/admin/orders/{order_id}"]
    actions = [f"/admin/orders/{order_id}/{action}" for action in ("confirm", "reject", "refund")]
    for url in pages:
        assert client.get(url).headers["Location"].startswith("/login")
        partial = client.get(url, headers={"HX-Request": "true"})
        assert partial.headers["HX-Redirect"].startswith("/login") and "<table" not in partial.get_data(as_text=True)
    for person in (member, creator):
        auth.login(person.email)
        token = csrf_token(client.get("/"))
        for url in pages:
            assert client.get(url).status_code == 403
            assert client.get(url, headers={"HX-Request": "true"}).status_code == 403
        for url in actions:
            assert client.post(url, data={"csrf_token": token, "amount": "199", "reason": "x"}).status_code == 403
        assert "/admin/orders" not in client.get("/").get_data(as_text=True)
        auth.logout()
    assert order(app, order_id).status == "paid" and count(app, Refund) == 0


def test_admin_filters_orders_by_status_provider_product_creator_member_and_date(
    app, admin_client, make_user, member, creator, course
):
    other_creator = make_user(role="creator", email="li@example.com", name="Li Ming")
    circle = add_product(app, other_creator.id, name="Reading Circle", price_minor=29900, kind="membership", period_days=365)
    leo = make_user(email="leo@example.com", name="Leo")
    first = buy_paid(app, member, course, provider="bank")
    second = buy_paid(app, leo, circle, provider="refundpay")
    third = buy_paid(app, leo, course, provider="bank")
    with app.app_context():
        for order_id, placed in ((first, (2026, 1, 10)), (second, (2026, 2, 10)), (third, (2026, 3, 1))):
            db.session.execute(
                sa.update(Order).where(Order.id == order_id).values(created_at=datetime(*placed, 12, tzinfo=UTC))
            )
        db.session.execute(sa.update(Order).where(Order.id == third).values(status="cancelled"))
        db.session.commit()

    assert listed(admin_client.get("/admin/orders")) == [third, second, first]
    assert listed(admin_client.get("/admin/orders?status=paid")) == [second, first]
    assert listed(admin_client.get("/admin/orders?provider=refundpay")) == [second]
    assert listed(admin_client.get("/admin/orders?product=PYTHON")) == [third, first]
    assert listed(admin_client.get("/admin/orders?creator=li@")) == [second]
    assert listed(admin_client.get("/admin/orders?member=leo")) == [third, second]
    assert listed(admin_client.get("/admin/orders?date_from=2026-02-10&date_to=2026-03-01")) == [third, second]
    assert listed(admin_client.get("/admin/orders?date_to=2026-01-10")) == [first]
    assert listed(admin_client.get("/admin/orders?member=mei&provider=refundpay")) == []
    # The "Paid with" choices are the providers the site offers, not every name ever stored.
    page = admin_client.get("/admin/orders").get_data(as_text=True)
    assert '<option value="refundpay">RefundPay</option>' in page and 'value="bank"' not in page
    wrong = admin_client.get("/admin/orders?status=stolen&date_from=yesterday")
    assert wrong.status_code == 200 and listed(wrong) == [third, second, first]
    assert "Not a valid choice." in wrong.get_data(as_text=True)


def test_the_list_comes_in_pages_and_htmx_gets_only_the_list(app, admin_client, member, course):
    with app.app_context():
        template = db.session.get(Order, buy_paid(app, member, course, provider="bank"))
        db.session.add_all(
            Order(user_id=member.id, product_id=course, provider="bank", status="expired", list_price_minor=19900,
                  amount_minor=19900, currency="CNY", nonce=f"bulk-order-{n:04d}-nonce", expires_at=template.expires_at)
            for n in range(51)
        )
        db.session.commit()
    first = admin_client.get("/admin/orders?status=expired")
    assert len(listed(first)) == 50
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', first.get_data(as_text=True)).group(1))
    assert following.startswith("/admin/orders?status=expired&cursor=")
    second = admin_client.get(following, headers={"HX-Request": "true"})
    body = second.get_data(as_text=True)
    assert body.startswith('<section id="orders">') and "<html" not in body
    assert len(listed(second)) == 1 and 'rel="prev"' in body and 'rel="next"' not in body
    assert "HX-Request" in second.headers["Vary"]


def test_admin_refunds_part_then_the_rest_and_access_ends_with_the_last(
    app, admin_client, client, member, creator, course
):
    order_id = buy_paid(app, member, course, provider="bank")
    creator_account = f"creator:{creator.id}"
    assert account_balance(app, creator_account) == -17910  # 199.00 less the 10% fee, owed to the creator
    page = admin_client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert 'value="199.00"' in page and "KPay only records this refund" in page

    answer = refund(admin_client, order_id, "50", "Left after the first lesson")
    assert answer.status_code == 302
    assert order(app, order_id).refunded_minor == 5000 and order(app, order_id).status == "paid"
    assert entitlement_status(app, order_id) == "active"
    assert account_balance(app, creator_account) == -17910 * 14900 // 19900  # the creator keeps 149/199 of the share
    assert ledger_sum(app) == 0
    page = admin_client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert 'value="149.00"' in page and "Left after the first lesson" in page

    refund(admin_client, order_id, "149.00", "Changed their mind")
    assert order(app, order_id).status == "refunded"
    assert entitlement_status(app, order_id) == "revoked"
    assert account_balance(app, creator_account) == 0 and account_balance(app, "platform:fees") == 0
    assert ledger_sum(app) == 0
    assert 'id="refund"' not in admin_client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert notifications(app, member) == [
        "CN¥50.00 of your payment for Python for Beginners was refunded.",
        "CN¥149.00 of your payment for Python for Beginners was refunded.",
    ]
    assert count(app, AuditEntry, AuditEntry.action == "order.refunded") == 2
    Auth(client).logout()
    Auth(client).login(member.email)
    assert "Refunded" in client.get(f"/orders/{order_id}").get_data(as_text=True)


def test_the_same_refund_form_sent_twice_refunds_once(app, admin_client, member, course):
    order_id = buy_paid(app, member, course, provider="bank")
    nonce = "double-click-nonce-0001"
    assert refund(admin_client, order_id, "20", nonce=nonce).status_code == 302
    again = refund(admin_client, order_id, "20", nonce=nonce)
    assert again.status_code == 302
    assert "This refund was made already." in admin_client.get(again.headers["Location"]).get_data(as_text=True)
    assert count(app, Refund) == 1 and order(app, order_id).refunded_minor == 2000
    assert count(app, AuditEntry, AuditEntry.action == "order.refunded") == 1
    assert len(notifications(app, member)) == 1


@pytest.mark.parametrize(("typed", "message"), [
    ("199.01", "At most CN¥199.00 can be refunded."),
    ("a lot", "Enter an amount such as 1.50."),
    ("1.001", "Enter an amount such as 1.50."),
    ("0", "Enter an amount more than zero."),
])
def test_a_refund_that_cannot_be_made_is_explained_beside_the_amount_and_writes_nothing(
    app, admin_client, member, course, refundpay, typed, message
):
    order_id = buy_paid(app, member, course, provider="refundpay")
    answer = refund(admin_client, order_id, typed)
    assert answer.status_code == 422
    assert f'<ul class="errors" id="amount-errors"><li>{message}</li></ul>' in answer.get_data(as_text=True)
    assert count(app, Refund) == 0 and count(app, LedgerTransaction) == 1 and refundpay.refunds == []
    assert count(app, AuditEntry, AuditEntry.action == "order.refunded") == 0
    assert order(app, order_id).refunded_minor == 0


def test_a_refund_goes_back_through_the_provider_that_took_the_money(app, admin_client, member, course, refundpay):
    order_id = buy_paid(app, member, course, provider="refundpay")
    page = admin_client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert "RefundPay pays the money back to the member." in page
    refundpay.down = True
    failed = refund(admin_client, order_id, "10")
    assert failed.status_code == 422
    explained = "RefundPay did not make the refund, so nothing was recorded. Try again later."
    assert explained in failed.get_data(as_text=True)
    assert count(app, Refund) == 0
    refundpay.down = False
    refund(admin_client, order_id, "10")
    with app.app_context():
        made = db.session.scalars(sa.select(Refund)).one()
        assert refundpay.refunds == [(order_id, 1000, made.key)]
        assert made.provider_ref == "re_1" and made.amount_minor == 1000
    assert account_balance(app, "provider:refundpay") == 19900 - 1000


def test_only_an_order_that_awaits_confirmation_can_be_confirmed_or_rejected(app, admin_client, member, course):
    order_id = buy_paid(app, member, course, provider="bank")
    token = csrf_token(admin_client.get(f"/admin/orders/{order_id}"))
    answer = admin_client.post(f"/admin/orders/{order_id}/confirm", data={"csrf_token": token})
    told = admin_client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "This order no longer waits for confirmation." in told
    admin_client.post(f"/admin/orders/{order_id}/reject", data={"csrf_token": token, "reason": "no"})
    assert order(app, order_id).status == "paid"
    assert count(app, AuditEntry, AuditEntry.action.like("order.payment_%")) == 0


def logged_in_clients(app, person, n: int) -> list[tuple]:
    """``n`` browsers of ``person``, each with the CSRF token of its own session."""
    browsers = []
    for _ in range(n):
        browser = app.test_client()
        Auth(browser).login(person.email)
        browsers.append((browser, csrf_token(browser.get("/"))))
    return browsers


def at_once(browsers, url: str, data: dict) -> list[int]:
    """POST ``data`` to ``url`` from every browser at the same moment; the status codes."""
    start = threading.Barrier(len(browsers))

    def send(browser, token):
        start.wait()
        return browser.post(url, data={**data, "csrf_token": token}).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        return list(pool.map(lambda pair: send(*pair), browsers))


def test_one_refund_form_sent_from_many_tabs_at_once_refunds_once(app, admin, member, course):
    order_id = buy_paid(app, member, course, provider="bank")
    codes = at_once(logged_in_clients(app, admin, 8), f"/admin/orders/{order_id}/refund",
                    {"amount": "199.00", "nonce": "one-form-many-tabs-0001"})
    assert codes == [302] * 8
    assert count(app, Refund) == 1 and order(app, order_id).status == "refunded"
    assert count(app, AuditEntry, AuditEntry.action == "order.refunded") == 1
    assert ledger_sum(app) == 0 and len(notifications(app, member)) == 1


def test_two_admins_confirming_one_transfer_at_once_record_one_payment(app, admin, make_user, member, course):
    with app.test_request_context():
        placed = orders.checkout(db.session.get(User, member.id), db.session.get(Product, course), "manual", "n" * 24)
        placed.status, placed.member_reference = "awaiting_confirmation", "CMB 0001"
        db.session.commit()
        order_id = placed.id
    other = make_user(role="owner", email="olu@example.com")
    browsers = logged_in_clients(app, admin, 3) + logged_in_clients(app, other, 3)
    assert at_once(browsers, f"/admin/orders/{order_id}/confirm", {}) == [302] * 6
    assert order(app, order_id).status == "paid" and entitlement_status(app, order_id) == "active"
    assert count(app, Payment) == 1 and count(app, LedgerTransaction) == 1 and ledger_sum(app) == 0
    assert count(app, AuditEntry, AuditEntry.action == "order.payment_confirmed") == 1
    assert notifications(app, member) == ["Your transfer for Python for Beginners is confirmed. Thank you!"]
