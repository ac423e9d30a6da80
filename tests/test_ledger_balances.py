"""The ledger's running balances: every entry carries its account's balance after it, each
account's balance now is kept beside the ledger, and migrating a ledger written before them
fills both in (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import upgrade

from kpay.app import create_app
from kpay.commerce import ledger
from kpay.extensions import db
from kpay.models.commerce import LedgerBalance, LedgerEntry, LedgerSlot
from tests.commerce_helpers import buy_paid, make_product, refund
from tests.test_migrations import empty_database  # noqa: F401 (fixture)


def entries(account: str) -> list[tuple[int, int]]:
    """(amount, balance after) of the account's entries in booking order."""
    return [tuple(row) for row in db.session.execute(
        sa.select(LedgerEntry.amount_minor, LedgerEntry.balance_after_minor)
        .where(LedgerEntry.account == account).order_by(LedgerEntry.created_at, LedgerEntry.id)
    )]


def test_each_entry_carries_the_balance_after_it(app, make_user):
    creator, admin = make_user("creator"), make_user("admin")
    product_id = make_product(app, creator, price_minor=10000)
    first = buy_paid(app, make_user(), product_id)
    buy_paid(app, make_user(), product_id)
    refund(app, first, 5000, admin)
    with app.app_context():
        mine = ledger.creator_account(creator.id)
        assert entries(mine) == [(-9000, -9000), (-9000, -18000), (4500, -13500)]
        assert entries(ledger.FEES) == [(-1000, -1000), (-1000, -2000), (500, -1500)]
        assert ledger.balance(mine, "CNY") == -13500
        assert ledger.balance(mine, "USD") == 0
        slots = db.session.execute(
            sa.select(LedgerSlot.kind, LedgerSlot.amount_minor, LedgerSlot.fee_minor, LedgerSlot.entries)
            .where(LedgerSlot.account == mine).order_by(LedgerSlot.kind)
        ).all()
        assert [tuple(s) for s in slots] == [("payment", -18000, -2000, 2), ("refund", 4500, 500, 1)]


def test_a_replayed_transaction_moves_no_balance(app):
    with app.test_request_context("/", method="POST"):
        for _ in range(2):
            ledger.post("adjustment:1", "adjustment", "CNY", {"provider:manual": 700, ledger.FEES: -700})
        db.session.commit()
        assert ledger.balance("provider:manual", "CNY") == 700
        assert entries("provider:manual") == [(700, 700)]


def test_migrating_a_ledger_written_before_running_balances_fills_them_in(tmp_path, empty_database):  # noqa: F811
    app = create_app({"instance_path": str(tmp_path / "instance"), "database_url": empty_database,
                      "redis_url": "", "plugins": {"enabled": []}})
    with app.app_context():
        upgrade(revision="0004_commerce_records")
        rows = [  # (transaction, kind, booked at, {account: amount}), booked out of id order
            (1, "payment", datetime(2026, 5, 2, 10, 7), {"provider:stripe": 10000, "creator:7": -9000, ledger.FEES: -1000}),
            (2, "payment", datetime(2026, 5, 1, 9, 59), {"provider:stripe": 5000, "creator:7": -4500, ledger.FEES: -500}),
            (3, "payout", datetime(2026, 5, 3, 12, 0), {"creator:7": 6000, "payouts": -6000}),
        ]
        for transaction_id, kind, at, moves in rows:
            db.session.execute(sa.text(
                "INSERT INTO ledger_transactions (id, key, kind, memo, created_at) VALUES (:id, :key, :kind, '', :at)"
            ), {"id": transaction_id, "key": f"{kind}:{transaction_id}", "kind": kind, "at": at})
            for account, amount in moves.items():
                db.session.execute(sa.text(
                    "INSERT INTO ledger_entries (transaction_id, account, amount_minor, currency) "
                    "VALUES (:t, :account, :amount, 'CNY')"
                ), {"t": transaction_id, "account": account, "amount": amount})
        db.session.commit()
        upgrade(revision="heads")
        assert entries("creator:7") == [(-4500, -4500), (-9000, -13500), (6000, -7500)]
        balances = dict(db.session.execute(sa.select(LedgerBalance.account, LedgerBalance.balance_minor)).all())
        assert balances == {"creator:7": -7500, ledger.FEES: -1500, "provider:stripe": 15000, "payouts": -6000}
        slots = db.session.execute(
            sa.select(LedgerSlot.quarter, LedgerSlot.kind, LedgerSlot.amount_minor, LedgerSlot.fee_minor)
            .order_by(LedgerSlot.quarter)
        ).all()
        quarter = lambda *at: ledger.quarter_of(datetime(*at, tzinfo=UTC))  # noqa: E731
        assert [tuple(s) for s in slots] == [
            (quarter(2026, 5, 1, 9, 45), "payment", -4500, -500), (quarter(2026, 5, 2, 10, 0), "payment", -9000, -1000),
            (quarter(2026, 5, 3, 12, 0), "payout", 6000, 0),
        ]
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text("UPDATE ledger_entries SET amount_minor = 0"))
        db.session.rollback()
        db.engine.dispose()


def test_a_sale_is_counted_in_the_quarter_hour_it_was_booked(app, make_user):
    creator = make_user("creator")
    product_id = make_product(app, creator, price_minor=2000)
    with time_machine.travel(datetime(2026, 7, 1, 8, 44, 59, tzinfo=UTC), tick=False):
        buy_paid(app, make_user(), product_id)
    with time_machine.travel(datetime(2026, 7, 1, 8, 45, tzinfo=UTC), tick=False):
        buy_paid(app, make_user(), product_id)
    with app.app_context():
        quarters = db.session.scalars(sa.select(LedgerSlot.quarter).order_by(LedgerSlot.quarter)).all()
    assert quarters == [ledger.quarter_of(datetime(2026, 7, 1, 8, 30, tzinfo=UTC)),
                        ledger.quarter_of(datetime(2026, 7, 1, 8, 45, tzinfo=UTC))]
