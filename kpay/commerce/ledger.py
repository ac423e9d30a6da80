"""The money ledger: double-entry, append-only, in integer minor units.

Accounts: ``provider:<name>`` holds money received through a payment provider;
``creator:<id>`` is what the site owes a creator (a credit, so its balance is negative);
``platform:fees`` is the organization's revenue; ``payouts`` is money paid out to creators.
Debits are positive and credits negative, and every transaction sums to zero. Corrections are
new, reversing transactions; the database refuses UPDATE and DELETE on both tables.
"""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import LedgerBalance, LedgerDay, LedgerDayZone, LedgerEntry, LedgerSlot, LedgerTransaction
from kpay.transactions import _INSERTS, insert_once

FEES = "platform:fees"
PAYOUTS = "payouts"
CREATOR_PREFIX = "creator:"  # + the creator's user id: what the site owes them


def provider_account(name: str) -> str:
    return f"provider:{name}"


def creator_account(creator_id: int) -> str:
    """The account of what the site owes member ``creator_id`` (a creator's sales, a plugin's
    approved payment such as referral commission): the payouts page lists and pays it."""
    return f"{CREATOR_PREFIX}{creator_id}"


def post(key: str, kind: str, currency: str, entries: dict[str, int], *, order_id: int | None = None,
         memo: str = "") -> int | None:
    """Record one transaction of ``entries`` (account: amount), once per ``key``.

    Each account's balance moves first (an upsert that locks its ``ledger_balances`` row until
    the caller commits), so the entries, booked after it, carry their running balances in
    booking order. Returns the transaction's id, or None when ``key`` was already recorded (a
    replay). Raises ``ValueError`` when the entries do not sum to zero. The caller commits.
    """
    entries = {account: amount for account, amount in entries.items() if amount}
    if sum(entries.values()) != 0:
        raise ValueError(f"ledger transaction {key!r} does not balance: {entries}")
    transaction_id = insert_once(
        LedgerTransaction, ("key",), key=key, kind=kind, order_id=order_id, memo=memo[:300],
        created_at=utcnow(),
    )
    if transaction_id is not None and entries:
        after = _move(currency, entries)
        booked = utcnow()
        db.session.execute(sa.insert(LedgerEntry), [
            {"transaction_id": transaction_id, "account": account, "amount_minor": amount, "currency": currency,
             "balance_after_minor": after[account], "created_at": booked}
            for account, amount in sorted(entries.items())
        ])
        _add_to_slots(kind, currency, entries, booked)
    return transaction_id


def quarter_of(moment: datetime) -> int:
    """The quarter hour ``moment`` is in, counted from 1970 in UTC."""
    return int(moment.timestamp()) // 900


def _add_to_slots(kind: str, currency: str, entries: dict[str, int], booked: datetime) -> None:
    """Count the creators' entries in their statements' quarter-hour and daily sums (the day
    in the site's time zone, whose days stop being the kept ones if another zone's were)."""
    zone = current_app.config["KPAY"]["timezone"]
    day = booked.astimezone(ZoneInfo(zone)).date()
    rows = [
        {"account": account, "currency": currency, "quarter": quarter_of(booked), "zone": zone, "day": day,
         "kind": kind, "amount": amount, "fee": entries.get(FEES, 0)}
        for account, amount in sorted(entries.items()) if account.startswith(CREATOR_PREFIX)
    ]
    if rows:
        dialect = db.session.get_bind().dialect.name
        db.session.execute(_sum_statement(dialect, LedgerSlot), rows)
        db.session.execute(_sum_statement(dialect, LedgerDay), rows)
        db.session.execute(sa.delete(LedgerDayZone).where(LedgerDayZone.zone != zone))


def _move(currency: str, entries: dict[str, int]) -> dict[str, int]:
    """Add each amount to its account's balance, in account order (so two transactions lock
    the rows alike and never wait on each other in a circle); the balances after."""
    statement = _upsert_statement(db.session.get_bind().dialect.name)
    return {
        account: db.session.execute(statement, {"account": account, "currency": currency, "amount": amount}).scalar_one()
        for account, amount in sorted(entries.items())
    }


@functools.cache
def _upsert_statement(dialect: str):
    table = LedgerBalance.__table__
    insert = _INSERTS[dialect](table).values(
        account=sa.bindparam("account"), currency=sa.bindparam("currency"), balance_minor=sa.bindparam("amount"),
    )
    return insert.on_conflict_do_update(
        index_elements=[table.c.account, table.c.currency],
        set_={"balance_minor": table.c.balance_minor + insert.excluded.balance_minor},
    ).returning(table.c.balance_minor)


@functools.cache
def _sum_statement(dialect: str, model: type[LedgerSlot | LedgerDay]):
    """The upsert adding a row's amount, fee and one entry to its sum in ``model``'s table
    (keyed by its primary key's columns, bound by name)."""
    table = model.__table__
    keys = [column.name for column in table.primary_key]
    insert = _INSERTS[dialect](table).values(
        {name: sa.bindparam(name) for name in keys}
        | {"amount_minor": sa.bindparam("amount"), "fee_minor": sa.bindparam("fee"), "entries": 1},
    )
    return insert.on_conflict_do_update(
        index_elements=[table.c[name] for name in keys],
        set_={"amount_minor": table.c.amount_minor + insert.excluded.amount_minor,
              "fee_minor": table.c.fee_minor + insert.excluded.fee_minor, "entries": table.c.entries + 1},
    )


def balance(account: str, currency: str) -> int:
    """The account's balance in ``currency`` now."""
    return db.session.scalar(sa.select(balance_expression(account, currency))) or 0


def balance_expression(account: str, currency: str) -> sa.ScalarSelect:
    """The account's balance in ``currency`` as an SQL expression (0 when it has none), for a
    page that reads it in a statement it sends anyway."""
    return sa.select(sa.func.coalesce(sa.func.max(LedgerBalance.balance_minor), 0)).where(
        LedgerBalance.account == account, LedgerBalance.currency == currency).scalar_subquery()


def moved(key: str, account: str) -> int:
    """What transaction ``key`` put into ``account`` (0 when it did not touch it)."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.key == key, LedgerEntry.account == account)
    )
    return int(total)


def fee_percent(creator: User) -> int:
    """The platform's share of ``creator``'s sales: their ``creator_fees`` entry, else the
    ``platform_fee_percent`` setting."""
    settings = current_app.config["KPAY"]["commerce"]
    for item in settings["creator_fees"]:
        email, _sep, percent = item.rpartition("=")
        if email.strip().lower() == creator.email:
            return int(percent)
    return settings["platform_fee_percent"]


def fee_of(amount_minor: int, percent: int) -> int:
    """The fee on ``amount_minor`` at ``percent``, rounded half up to a minor unit."""
    return (amount_minor * percent + 50) // 100
