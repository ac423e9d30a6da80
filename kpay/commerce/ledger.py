"""The money ledger: double-entry, append-only, in integer minor units.

Accounts: ``provider:<name>`` holds money received through a payment provider;
``creator:<id>`` is what the site owes a creator (a credit, so its balance is negative);
``platform:fees`` is the organization's revenue; ``payouts`` is money paid out to creators.
Debits are positive and credits negative, and every transaction sums to zero. Corrections are
new, reversing transactions; the database refuses UPDATE and DELETE on both tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import LedgerEntry, LedgerTransaction
from kpay.transactions import insert_once

FEES = "platform:fees"
PAYOUTS = "payouts"
CREATOR_PREFIX = "creator:"  # + the creator's user id: what the site owes them


def provider_account(name: str) -> str:
    return f"provider:{name}"


def creator_account(creator_id: int) -> str:
    return f"{CREATOR_PREFIX}{creator_id}"


def post(key: str, kind: str, currency: str, entries: dict[str, int], *, order_id: int | None = None,
         memo: str = "") -> int | None:
    """Record one transaction of ``entries`` (account: amount), once per ``key``.

    Returns the transaction's id, or None when ``key`` was already recorded (a replay).
    Raises ``ValueError`` when the entries do not sum to zero. The caller commits.
    """
    entries = {account: amount for account, amount in entries.items() if amount}
    if sum(entries.values()) != 0:
        raise ValueError(f"ledger transaction {key!r} does not balance: {entries}")
    transaction_id = insert_once(
        LedgerTransaction, ("key",), key=key, kind=kind, order_id=order_id, memo=memo[:300],
        created_at=utcnow(),
    )
    if transaction_id is not None:
        db.session.add_all(
            LedgerEntry(transaction_id=transaction_id, account=account, amount_minor=amount, currency=currency)
            for account, amount in sorted(entries.items())
        )
        db.session.flush()
    return transaction_id


def balance(account: str, currency: str) -> int:
    """The sum of the account's entries in ``currency``."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0))
        .where(LedgerEntry.account == account, LedgerEntry.currency == currency)
    )
    return int(total)


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
