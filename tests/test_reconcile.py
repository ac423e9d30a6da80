"""``kpay commerce reconcile``: drift of each kind is reported, one line each, and exits 1;
records made by the real commerce functions agree and exit 0."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa
from flask import current_app

from kpay.cli import cli
from kpay.commerce import ledger
from kpay.commerce.payouts import record_payout
from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import Entitlement, LedgerEntry, LedgerTransaction, Order, Payment, Payout, Refund
from tests.commerce_helpers import buy_paid, make_product, refund


def reconcile(app):
    return app.test_cli_runner().invoke(cli, ["commerce", "reconcile"])


@pytest.fixture
def shop(app, make_user):
    """A creator's course and membership, and a member who bought the course."""
    creator, member = make_user("creator"), make_user()
    course = make_product(app, creator, price_minor=10000)
    circle = make_product(app, creator, price_minor=29900, name="Circle", kind="membership", period_days=365)
    return {"creator": creator, "member": member, "course": course, "circle": circle,
            "order": buy_paid(app, member, course)}


def insert_order(shop, status="paid", amount=10000, refunded=0) -> int:
    """An order row written straight into the table, as a bug or a hand edit would."""
    return db.session.execute(sa.insert(Order).values(
        user_id=shop["member"].id, product_id=shop["course"], provider="sandbox", status=status,
        list_price_minor=amount, amount_minor=amount, refunded_minor=refunded, currency="CNY",
        nonce=secrets.token_urlsafe(24), created_at=utcnow(), expires_at=utcnow(), paid_at=utcnow(),
    )).inserted_primary_key[0]


def insert_payment(order_id: int) -> int:
    return db.session.execute(sa.insert(Payment).values(
        order_id=order_id, provider="sandbox", provider_ref=f"ref-{order_id}", amount_minor=10000,
        currency="CNY", created_at=utcnow(),
    )).inserted_primary_key[0]


def paid_without_payment(shop):
    order_id = insert_order(shop)
    return f"order {order_id}: paid, but no payment is recorded"


def payment_without_ledger(shop):
    order_id = insert_order(shop)
    payment_id = insert_payment(order_id)
    return f"payment {payment_id} (order {order_id}): no ledger transaction"


def refund_without_ledger(shop):
    refund_id = db.session.execute(sa.insert(Refund).values(
        order_id=shop["order"], amount_minor=1000, key="hand-made", created_at=utcnow(),
    )).inserted_primary_key[0]
    db.session.execute(sa.update(Order).where(Order.id == shop["order"]).values(refunded_minor=1000))
    return f"refund {refund_id}: no ledger transaction"


def payout_without_ledger(shop):
    payout_id = db.session.execute(sa.insert(Payout).values(
        creator_id=shop["creator"].id, amount_minor=500, currency="CNY", key="hand-made",
        actor_id=shop["creator"].id, created_at=utcnow(),
    )).inserted_primary_key[0]
    return f"payout {payout_id}: no ledger transaction"


def paid_without_entitlement(shop):
    order_id = insert_order(shop)
    insert_payment(order_id)
    ledger.post(f"payment:{order_id}", "payment", "CNY", {"provider:sandbox": 10000, ledger.FEES: -10000})
    return f"order {order_id}: paid, but no entitlement was granted"


def refunded_with_active_entitlement(shop):
    refund(current_app._get_current_object(), shop["order"], 10000)
    db.session.execute(
        sa.update(Entitlement).where(Entitlement.source == f"order:{shop['order']}").values(status="active")
    )
    return f"order {shop['order']}: fully refunded, but its entitlement is still active"


def unbalanced_transaction(shop):
    transaction_id = db.session.execute(sa.insert(LedgerTransaction).values(
        key="hand-made", kind="adjustment", created_at=utcnow(),
    )).inserted_primary_key[0]
    db.session.execute(sa.insert(LedgerEntry).values(
        transaction_id=transaction_id, account=ledger.FEES, amount_minor=-700, currency="CNY",
        balance_after_minor=ledger.balance(ledger.FEES, "CNY") - 700, created_at=utcnow(),
    ))
    return f"ledger transaction {transaction_id}: entries sum to -700 CNY, not 0"


def entry_without_its_balance(shop):
    """An entry written around ``ledger.post``: the balances the ledger keeps no longer agree."""
    transaction_id = db.session.execute(sa.insert(LedgerTransaction).values(
        key="hand-made", kind="adjustment", created_at=utcnow(),
    )).inserted_primary_key[0]
    before = ledger.balance(ledger.FEES, "CNY")
    entry_id = db.session.execute(sa.insert(LedgerEntry).values(
        transaction_id=transaction_id, account=ledger.FEES, amount_minor=0, currency="CNY",
        balance_after_minor=before - 500, created_at=utcnow(),
    )).inserted_primary_key[0]
    return f"ledger entry {entry_id}: running balance {before - 500}, but the entries up to it add up to {before}"


def refunded_amount_mismatch(shop):
    db.session.execute(sa.update(Order).where(Order.id == shop["order"]).values(refunded_minor=2500))
    return f"order {shop['order']}: refunded_minor is 2500, but its refunds add up to 0"


@pytest.mark.parametrize("seed", [
    paid_without_payment, payment_without_ledger, refund_without_ledger, payout_without_ledger,
    paid_without_entitlement, refunded_with_active_entitlement, unbalanced_transaction, entry_without_its_balance,
    refunded_amount_mismatch,
])
def test_reconcile_reports_each_kind_of_drift_and_exits_1(app, shop, seed):
    with app.test_request_context("/", method="POST"):
        expected = seed(shop)
        db.session.commit()
    result = reconcile(app)
    assert result.exit_code == 1, result.output
    assert expected in result.output.splitlines()


def test_reconcile_prints_one_line_per_problem(app, shop):
    with app.app_context():
        first = insert_order(shop)
        second = insert_order(shop)
        db.session.commit()
    result = reconcile(app)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"order {first}: paid, but no payment is recorded",
        f"order {second}: paid, but no payment is recorded",
        f"order {first}: paid, but no entitlement was granted",
        f"order {second}: paid, but no entitlement was granted",
    ]


def test_reconcile_exits_0_when_real_orders_refunds_and_payouts_agree(app, shop, make_user):
    assert reconcile(app).exit_code == 0
    refund(app, shop["order"], 2500)
    refund(app, shop["order"], 7500)  # the rest: the entitlement is revoked
    membership = buy_paid(app, make_user(), shop["circle"])
    refund(app, membership, 100)
    free = make_product(app, shop["creator"], price_minor=0, name="Free taster")
    buy_paid(app, make_user(), free)
    with app.test_request_context("/", method="POST"):
        creator = db.session.get(User, shop["creator"].id)
        record_payout(creator, 1000, "CNY", "BANK-1", "payout-test", creator)
        db.session.commit()
    result = reconcile(app)
    assert result.exit_code == 0, result.output
    assert result.output == "No drift: orders, payments, refunds, entitlements and the ledger agree.\n"
