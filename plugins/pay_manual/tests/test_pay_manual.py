"""A member pays by bank or QR transfer and gives its reference; an admin confirms or
rejects it in the console, and the member is told either way."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from kpay.commerce import orders
from kpay.config import ConfigError
from kpay.extensions import db
from kpay.models import AuditEntry
from kpay.models.base import utcnow
from kpay.models.commerce import Coupon, CouponRedemption, Order, OrderEvent
from plugins.pay_manual.tests.conftest import ACCOUNT, PNG, manual_settings
from tests.conftest import Auth, csrf_token
from tests.mailbox import messages
from tests.commerce_helpers import (
    account_balance, add_coupon, add_product, buy, entitlement_status, last_order_id, ledger_sum, notifications, order,
)


@pytest.fixture
def creator(make_user):
    return make_user(role="creator", email="chen@example.com", name="Teacher Chen")


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", email="ada@example.com", name="Ada Admin")


@pytest.fixture
def member(make_user):
    return make_user(email="mei@example.com", name="Mei")


@pytest.fixture
def course(app, creator):
    return add_product(app, creator.id, name="Python for Beginners", price_minor=19900)


def give_reference(client, order_id: int, reference: str):
    token = csrf_token(client.get("/"))
    return client.post(f"/pay_manual/{order_id}", data={"csrf_token": token, "reference": reference})


def admin_post(app, admin, order_id: int, action: str, **data):
    """An admin presses a button on the order's page in the console."""
    client = app.test_client()
    Auth(client).login(admin.email)
    page = client.get(f"/admin/orders/{order_id}")
    return client.post(f"/admin/orders/{order_id}/{action}", data={"csrf_token": csrf_token(page), **data})


def test_the_transfer_page_shows_instructions_amount_account_and_qr_code(app, client, auth, member, course):
    auth.login(member.email)
    started = buy(client, course, pay=False, provider="manual")
    order_id = last_order_id(app)
    assert started.status_code == 302 and started.headers["Location"] == f"/pay_manual/{order_id}"
    page = client.get(f"/pay_manual/{order_id}").get_data(as_text=True)
    assert "<strong>bank account</strong>" in page
    assert "199.00" in page
    assert all(line in page for line in ACCOUNT)
    assert 'src="/pay_manual/qr"' in page
    qr = client.get("/pay_manual/qr")
    assert qr.status_code == 200 and qr.mimetype == "image/png" and qr.data == PNG


def test_hook_kpay_payment_providers(make_app, make_user):
    """The manual provider is offered only once the site has written its instructions."""
    app = make_app(manual_settings(instructions="  "))
    creator = make_user(role="creator")
    product_id = add_product(app, creator.id, price_minor=19900)
    member = make_user()
    client = app.test_client()
    Auth(client).login(member.email)
    page = client.get(f"/shop/{product_id}")
    assert "Bank or QR transfer" not in page.get_data(as_text=True)
    forced = client.post(f"/shop/{product_id}/checkout", data={
        "csrf_token": csrf_token(page), "nonce": "n" * 24, "provider": "manual",
    })
    assert forced.status_code == 422 and last_order_id(app) is None


def test_a_qr_image_outside_the_instance_folder_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="plugins.pay_manual.qr_image"):
        make_app(manual_settings(qr_image="../kpay.db"))


def test_without_a_qr_image_the_page_shows_none_and_its_address_answers_404(make_app, make_user):
    app = make_app(manual_settings(qr_image=""))
    product_id = add_product(app, make_user(role="creator").id, price_minor=19900)
    member = make_user()
    client = app.test_client()
    Auth(client).login(member.email)
    buy(client, product_id, pay=False, provider="manual")
    assert "/pay_manual/qr" not in client.get(f"/pay_manual/{last_order_id(app)}").get_data(as_text=True)
    assert client.get("/pay_manual/qr").status_code == 404


def test_the_reference_is_required_and_at_most_200_characters(app, client, auth, member, course):
    auth.login(member.email)
    buy(client, course, pay=False, provider="manual")
    order_id = last_order_id(app)
    for typed, message in (("   ", "Enter the reference of your transfer."), ("x" * 201, "At most 200 characters.")):
        answer = give_reference(client, order_id, typed)
        assert answer.status_code == 422
        assert f'<ul class="errors" id="reference-errors"><li>{message}</li></ul>' in answer.get_data(as_text=True)
    assert order(app, order_id).status == "pending"


def test_another_member_cannot_open_or_answer_someone_elses_transfer(app, client, auth, member, course, make_user):
    auth.login(member.email)
    buy(client, course, pay=False, provider="manual")
    order_id = last_order_id(app)
    auth.logout()
    other = make_user()
    auth.login(other.email)
    assert client.get(f"/pay_manual/{order_id}").status_code == 404
    token = csrf_token(client.get("/"))
    assert client.post(f"/pay_manual/{order_id}", data={"csrf_token": token, "reference": "mine"}).status_code == 404
    assert order(app, order_id).status == "pending"


def test_member_pays_by_transfer_and_has_access_once_an_admin_confirms(
    app, client, auth, member, admin, creator, course
):
    auth.login(member.email)
    buy(client, course, pay=False, provider="manual")
    order_id = last_order_id(app)
    answer = give_reference(client, order_id, "  CMB 2026-11-30 20:15 Mei  ")
    assert answer.status_code == 302 and answer.headers["Location"] == f"/orders/{order_id}"
    mine = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Waiting for the payment to be confirmed" in mine and "CMB 2026-11-30 20:15 Mei" in mine
    assert notifications(app, admin) == [
        f"Order {order_id} (Python for Beginners) waits for you to confirm a transfer: CMB 2026-11-30 20:15 Mei"
    ]
    assert notifications(app, creator) == []
    assert [m["To"] for m in messages(app)] == [admin.email]
    # A second press of the button changes nothing; the unpaid-order sweep leaves it waiting.
    give_reference(client, order_id, "again")
    with app.app_context():
        db.session.execute(sa.update(Order).values(expires_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        assert orders.expire_unpaid() == 0
        assert db.session.scalar(sa.select(sa.func.count()).where(OrderEvent.name == "reference_submitted")) == 1
    assert order(app, order_id).member_reference == "CMB 2026-11-30 20:15 Mei"
    assert entitlement_status(app, order_id) is None

    console = app.test_client()
    Auth(console).login(admin.email)
    waiting = console.get("/admin/orders?status=awaiting_confirmation").get_data(as_text=True)
    assert f'<a href="/admin/orders/{order_id}">#{order_id}</a>' in waiting
    detail = console.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert "CMB 2026-11-30 20:15 Mei" in detail and "Confirm payment" in detail
    confirmed = admin_post(app, admin, order_id, "confirm")
    assert confirmed.status_code == 302
    assert "Paid" in client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert entitlement_status(app, order_id) == "active"
    assert ledger_sum(app) == 0
    assert account_balance(app, "provider:manual") == 19900
    assert notifications(app, member) == ["Your transfer for Python for Beginners is confirmed. Thank you!"]
    assert {m["Subject"] for m in messages(app, member.email)} == {
        "Receipt for Python for Beginners",
        "[KPay Community] Your transfer for Python for Beginners is confirmed. Thank you!",
    }
    # Confirming again (a double click, a second admin) records nothing more.
    admin_post(app, admin, order_id, "confirm")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "order.payment_confirmed")) == 1
    assert notifications(app, member) == ["Your transfer for Python for Beginners is confirmed. Thank you!"]


def test_a_rejected_transfer_cancels_the_order_and_gives_the_coupon_back(
    app, client, auth, member, admin, creator, course
):
    coupon_id = add_coupon(app, creator.id, "HALF", value=50, max_redemptions=1)
    auth.login(member.email)
    buy(client, course, pay=False, provider="manual", coupon="half")
    order_id = last_order_id(app)
    give_reference(client, order_id, "Alipay 8812")
    assert client.get(f"/pay_manual/{order_id}").headers["Location"] == f"/orders/{order_id}"

    unexplained = admin_post(app, admin, order_id, "reject", reason=" ")
    assert unexplained.status_code == 422
    error = '<ul class="errors" id="reason-errors"><li>Say why, so the member knows what to do.</li></ul>'
    assert error in unexplained.get_data(as_text=True)
    assert order(app, order_id).status == "awaiting_confirmation"

    admin_post(app, admin, order_id, "reject", reason="No transfer of ¥99.50 arrived with this reference.")
    assert order(app, order_id).status == "cancelled"
    assert "Cancelled" in client.get(f"/orders/{order_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Coupon, coupon_id).used == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CouponRedemption)) == 0
        audited = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "order.payment_rejected")).all()
        assert [entry.after["status"] for entry in audited] == ["cancelled"]
    assert notifications(app, member) == [
        "Your transfer for Python for Beginners could not be confirmed: "
        "No transfer of ¥99.50 arrived with this reference."
    ]
    assert entitlement_status(app, order_id) is None and ledger_sum(app) == 0
    # Once rejected it cannot be confirmed.
    admin_post(app, admin, order_id, "confirm")
    assert order(app, order_id).status == "cancelled"


def test_disabling_the_plugin_hides_its_pages_and_the_console_can_still_confirm(
    app, make_app, client, auth, member, admin, course
):
    auth.login(member.email)
    buy(client, course, pay=False, provider="manual")
    order_id = last_order_id(app)
    give_reference(client, order_id, "WeChat 4242")
    without = make_app({"plugins": {"enabled": []}}, create_tables=False)
    browser = without.test_client()
    Auth(browser).login(member.email)
    assert browser.get(f"/pay_manual/{order_id}").status_code == 404
    assert browser.get("/pay_manual/qr").status_code == 404
    assert "Bank or QR transfer" not in browser.get(f"/shop/{course}").get_data(as_text=True)
    assert admin_post(without, admin, order_id, "confirm").status_code == 302
    assert order(without, order_id).status == "paid" and entitlement_status(without, order_id) == "active"
