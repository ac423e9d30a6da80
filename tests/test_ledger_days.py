"""The creators' daily sums (``ledger_days``) always equal their ledger entries added up per
day in the site's time zone: after sales, refunds and payouts, when they book at once, and
when the site's time zone changes (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import upgrade

from kpay import clock
from kpay.app import create_app
from kpay.cli import cli
from kpay.commerce import ledger
from kpay.commerce.days import refill
from kpay.commerce.payouts import record_payout
from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import LedgerDay, LedgerDayZone, LedgerEntry, LedgerTransaction
from tests.commerce_helpers import buy_paid, make_product, refund
from tests.conftest import Auth
from tests.test_migrations import empty_database  # noqa: F401 (fixture)
from tests.test_revenue import day_rows


def summed_from_the_ledger(zone: str) -> Counter:
    """{(account, day, currency, kind, "amount" | "fee" | "entries"): sum} from every creator
    entry, its day in ``zone``."""
    fees = sa.orm.aliased(LedgerEntry)
    rows = db.session.execute(
        sa.select(LedgerEntry.account, LedgerEntry.created_at, LedgerEntry.currency, LedgerTransaction.kind,
                  LedgerEntry.amount_minor, sa.func.coalesce(fees.amount_minor, 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .outerjoin(fees, sa.and_(fees.transaction_id == LedgerEntry.transaction_id, fees.account == ledger.FEES))
        .where(LedgerEntry.account.startswith(ledger.CREATOR_PREFIX))
    )
    sums: Counter = Counter()
    for account, at, currency, kind, amount, fee in rows:
        key = (account, at.astimezone(ZoneInfo(zone)).date(), currency, kind)
        sums.update({(*key, "amount"): amount, (*key, "fee"): fee, (*key, "entries"): 1})
    return sums


def kept(zone: str) -> Counter:
    """The same sums as ``ledger_days`` keeps them for ``zone``."""
    sums: Counter = Counter()
    for row in db.session.scalars(sa.select(LedgerDay).where(LedgerDay.zone == zone)):
        key = (row.account, row.day, row.currency, row.kind)
        sums.update({(*key, "amount"): row.amount_minor, (*key, "fee"): row.fee_minor, (*key, "entries"): row.entries})
    return sums


def test_the_daily_sums_equal_the_ledger_after_sales_refunds_and_payouts(make_app, make_user):
    app = make_app({"timezone": "Asia/Shanghai"})
    creator, other, admin = make_user("creator"), make_user("creator"), make_user("admin")
    product_id, others = make_product(app, creator, price_minor=10000), make_product(app, other, price_minor=2500)
    with time_machine.travel(datetime(2026, 3, 2, 15, 59, tzinfo=UTC), tick=False):  # 23:59 in Shanghai
        first = buy_paid(app, make_user(), product_id)
        buy_paid(app, make_user(), others)
    with time_machine.travel(datetime(2026, 3, 2, 16, 0, tzinfo=UTC), tick=False):  # the next day there
        buy_paid(app, make_user(), product_id)
        refund(app, first, 3000, admin)
    with time_machine.travel(datetime(2026, 3, 31, 17, 0, tzinfo=UTC), tick=False):  # 1 April there
        refund(app, first, 7000, admin)
        with app.test_request_context("/", method="POST"):
            record_payout(db.session.get(User, creator.id), 5000, "CNY", "BANK-1", "form-1",
                          db.session.get(User, admin.id))
            db.session.commit()
    with app.app_context():
        assert kept("Asia/Shanghai") == summed_from_the_ledger("Asia/Shanghai")
        days = {key[1].isoformat() for key in kept("Asia/Shanghai")}
        assert days == {"2026-03-02", "2026-03-03", "2026-04-01"}
    client = app.test_client()
    Auth(client).login(creator.email)
    assert day_rows(client.get("/studio/revenue?month=2026-04")) == [
        ("2026-04-01", "CN¥0.00", "CN¥70.00", "-CN¥7.00", "-CN¥63.00", "CN¥50.00"),
    ]


def test_daily_sums_booked_at_once_equal_the_ledger(make_app, make_user):
    """Twelve sales, refunds and payouts of one creator commit together: no amount is lost."""
    app = make_app({"timezone": "Asia/Shanghai"})
    creator = make_user("creator")
    orders = [buy_paid(app, make_user(), make_product(app, creator, price_minor=10000)) for _ in range(4)]
    account = ledger.creator_account(creator.id)
    barrier = threading.Barrier(12)
    failures = []

    def book(n: int) -> None:
        with app.test_request_context("/", method="POST"):
            barrier.wait(timeout=10)
            try:
                if n < 4:
                    ledger.post(f"refund:race-{n}", "refund", "CNY", {account: 900, ledger.FEES: 100,
                                                                      "provider:sandbox": -1000}, order_id=orders[n])
                elif n < 8:
                    ledger.post(f"payment:race-{n}", "payment", "CNY", {"provider:sandbox": 2000, account: -1800,
                                                                        ledger.FEES: -200})
                else:
                    ledger.post(f"payout:race-{n}", "payout", "CNY", {account: 1000, ledger.PAYOUTS: -1000})
                db.session.commit()
            except Exception as error:  # noqa: BLE001 (reported below)
                failures.append(error)

    threads = [threading.Thread(target=book, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with app.app_context():
        assert kept("Asia/Shanghai") == summed_from_the_ledger("Asia/Shanghai")
        assert sum(kept("Asia/Shanghai")[key] for key in kept("Asia/Shanghai") if key[-1] == "entries") == 16


# A sale of CN¥100 at 20:00 UTC on 2 March (3 March in Shanghai), as the statement's day shows it in UTC.
SOLD_IN_UTC = ("2026-03-02", "CN¥100.00", "CN¥0.00", "CN¥10.00", "CN¥90.00", "CN¥0.00")


def sold_then_moved_to_utc(make_app, make_user):
    """A site in Shanghai sells once (3 March there), then runs in UTC: (the site as it was,
    as it is, the creator, the product's id)."""
    shanghai = make_app({"timezone": "Asia/Shanghai"})
    creator = make_user("creator")
    product_id = make_product(shanghai, creator, price_minor=10000)
    with time_machine.travel(datetime(2026, 3, 2, 20, 0, tzinfo=UTC), tick=False):
        buy_paid(shanghai, make_user(), product_id)
    return shanghai, make_app({"timezone": "UTC"}, create_tables=False), creator, product_id


def statement_days(app, creator) -> list[tuple[str, ...]]:
    """The "By day" rows of the creator's March statement on ``app``."""
    client = app.test_client()
    Auth(client).login(creator.email)
    return day_rows(client.get("/studio/revenue?month=2026-03"))


def test_after_the_time_zone_changes_the_days_follow_it(make_app, make_user):
    """A site moved from Shanghai to UTC shows its days in UTC at once (from the quarter-hour
    sums), and keeps them again after ``kpay commerce fill-days``."""
    shanghai, utc, creator, product_id = sold_then_moved_to_utc(make_app, make_user)
    assert statement_days(utc, creator) == [SOLD_IN_UTC]
    with time_machine.travel(datetime(2026, 3, 5, 23, 0, tzinfo=UTC), tick=False):  # 6 March in Shanghai
        buy_paid(utc, make_user(), product_id)
    assert statement_days(shanghai, creator) == [  # no longer the kept days: summed from the quarter hours
        ("2026-03-03", *SOLD_IN_UTC[1:]), ("2026-03-06", *SOLD_IN_UTC[1:]),
    ]
    result = utc.test_cli_runner().invoke(cli, ["commerce", "fill-days"])
    assert result.exit_code == 0, result.output
    with utc.app_context():
        assert db.session.scalars(sa.select(LedgerDayZone.zone)).all() == ["UTC"]
        assert kept("UTC") == summed_from_the_ledger("UTC")
        assert kept("Asia/Shanghai") == Counter()
    assert statement_days(utc, creator) == [SOLD_IN_UTC, ("2026-03-05", *SOLD_IN_UTC[1:])]


def test_the_clock_keeps_the_days_in_the_new_time_zone_without_the_admin(make_app, make_user):
    """After the site moves from Shanghai to UTC, the worker's clock refills the daily sums in
    UTC on its own within a quarter hour; the studio's statement shows the same days."""
    _shanghai, utc, creator, _product_id = sold_then_moved_to_utc(make_app, make_user)
    with utc.app_context():
        assert db.session.scalars(sa.select(LedgerDayZone.zone)).all() == ["Asia/Shanghai"]
        assert "commerce.keep_days" in clock.tick(datetime(2026, 3, 6, 9, 0, tzinfo=UTC))
        assert db.session.scalars(sa.select(LedgerDayZone.zone)).all() == ["UTC"]
        assert kept("UTC") == summed_from_the_ledger("UTC") != Counter()
        assert kept("Asia/Shanghai") == Counter()
    assert statement_days(utc, creator) == [SOLD_IN_UTC]


def test_migrating_fills_the_days_in_the_site_time_zone(tmp_path, empty_database):  # noqa: F811
    app = create_app({"instance_path": str(tmp_path / "instance"), "database_url": empty_database,
                      "redis_url": "", "plugins": {"enabled": []}, "timezone": "Asia/Shanghai"})
    with app.app_context():
        upgrade(revision="0011_list_indexes")
        creator = ledger.creator_account(7)
        for quarter, amount, fee in ((1, -9000, -1000), (2, -4500, -500)):  # 08:00 and 08:15 in Shanghai
            db.session.execute(sa.text(
                "INSERT INTO ledger_slots (account, currency, quarter, kind, amount_minor, fee_minor, entries) "
                "VALUES (:account, 'CNY', :quarter, 'payment', :amount, :fee, 1)"
            ), {"account": creator, "quarter": ledger.quarter_of(datetime(2026, 5, 1, tzinfo=UTC)) + quarter,
                "amount": amount, "fee": fee})
        db.session.commit()
        upgrade(revision="heads")
        rows = db.session.execute(sa.select(LedgerDay.day, LedgerDay.kind, LedgerDay.amount_minor,
                                            LedgerDay.fee_minor, LedgerDay.entries)).all()
        assert [tuple(row) for row in rows] == [(datetime(2026, 5, 1).date(), "payment", -13500, -1500, 2)]
        assert db.session.scalars(sa.select(LedgerDayZone.zone)).all() == ["Asia/Shanghai"]
        db.engine.dispose()


def test_reconcile_reports_daily_sums_that_differ_from_the_ledger(app, make_user):
    creator = make_user("creator")
    buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    runner = app.test_cli_runner()
    assert runner.invoke(cli, ["commerce", "reconcile"]).exit_code == 0
    with app.app_context():
        db.session.execute(sa.update(LedgerDay).values(amount_minor=LedgerDay.amount_minor + 1))
        db.session.commit()
    result = runner.invoke(cli, ["commerce", "reconcile"])
    assert result.exit_code == 1
    assert (f"ledger account {ledger.creator_account(creator.id)}: its daily payment sums in CNY do not add up "
            "to its quarter-hour sums") in result.output


@pytest.mark.postgres
def test_two_refills_at_once_keep_one_zones_days(make_app, make_user):
    """Two admins run ``fill-days`` for different zones at once (kpay.toml changed between
    them): the second waits for the first, so one zone's days are kept, and the statement's
    figures stay those of the ledger."""
    app = make_app({"timezone": "UTC"})
    creator = make_user("creator")
    with time_machine.travel(datetime(2026, 3, 2, 20, 0, tzinfo=UTC), tick=False):
        buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    client = app.test_client()
    Auth(client).login(creator.email)
    before = day_rows(client.get("/studio/revenue?month=2026-03"))
    with app.app_context():
        first, second = db.engine.connect(), db.engine.connect()
        first.begin()
        refill(first, "UTC")
        racing = threading.Thread(target=lambda: (second.begin(), refill(second, "Asia/Shanghai"), second.commit()))
        racing.start()
        racing.join(1.0)
        assert racing.is_alive(), "the second refill should wait for the first"
        first.commit()
        racing.join(10)
        first.close()
        second.close()
        assert db.session.scalars(sa.select(LedgerDayZone.zone)).all() == ["Asia/Shanghai"]
        assert set(db.session.scalars(sa.select(LedgerDay.zone).distinct())) == {"Asia/Shanghai"}
    assert day_rows(client.get("/studio/revenue?month=2026-03")) == before
    assert app.test_cli_runner().invoke(cli, ["commerce", "reconcile"]).exit_code == 0


def test_reconcile_checks_each_zone_the_days_are_marked_kept_in(app, make_user):
    creator = make_user("creator")
    buy_paid(app, make_user(), make_product(app, creator, price_minor=10000))
    with app.app_context():
        db.session.add(LedgerDayZone(zone="Asia/Tokyo"))  # marked kept, but no day was summed there
        db.session.commit()
    result = app.test_cli_runner().invoke(cli, ["commerce", "reconcile"])
    assert result.exit_code == 1
    assert (f"ledger account {ledger.creator_account(creator.id)}: its daily payment sums in CNY do not add up "
            "to its quarter-hour sums (days in Asia/Tokyo)") in result.output
