"""``kpay commerce reconcile``: orders, payments, refunds, entitlements and the ledger checked
against each other; every disagreement (drift) is one line, and drift exits 1.

Each check is one query that finds the rows breaking one rule, so the command's cost does
not grow with the number of rows that agree beyond a scan of the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from kpay.commerce.orders import SETTLED
from kpay.extensions import db
from kpay.models.commerce import (
    Entitlement, EntitlementStatus, LedgerBalance, LedgerDay, LedgerDayZone, LedgerEntry, LedgerSlot, LedgerTransaction, Order,
    OrderStatus, Payment, Payout, Refund,
)


def _keyed(prefix: str, column) -> sa.ColumnElement:
    """The ledger key ``<prefix>:<column>`` (the spine's convention: ``payment:<order id>``)."""
    return sa.literal(f"{prefix}:") + sa.cast(column, sa.String)


def _without_ledger(model, prefix: str, column) -> sa.Select:
    return (
        sa.select(model.id, column)
        .outerjoin(LedgerTransaction, LedgerTransaction.key == _keyed(prefix, column))
        .where(LedgerTransaction.id.is_(None))
        .order_by(model.id)
    )


def paid_without_payment() -> Iterator[str]:
    query = (
        sa.select(Order.id).outerjoin(Payment, Payment.order_id == Order.id)
        .where(Order.status.in_(SETTLED), Payment.id.is_(None)).order_by(Order.id)
    )
    for order_id in db.session.scalars(query):
        yield f"order {order_id}: paid, but no payment is recorded"


def payment_without_ledger() -> Iterator[str]:
    for payment_id, order_id in db.session.execute(_without_ledger(Payment, "payment", Payment.order_id)):
        yield f"payment {payment_id} (order {order_id}): no ledger transaction"


def refund_without_ledger() -> Iterator[str]:
    for refund_id, _same in db.session.execute(_without_ledger(Refund, "refund", Refund.id)):
        yield f"refund {refund_id}: no ledger transaction"


def payout_without_ledger() -> Iterator[str]:
    for payout_id, _same in db.session.execute(_without_ledger(Payout, "payout", Payout.id)):
        yield f"payout {payout_id}: no ledger transaction"


def _order_entitlement(*conditions) -> sa.Select:
    return (
        sa.select(Order.id)
        .outerjoin(Entitlement, sa.and_(Entitlement.source == _keyed("order", Order.id), *conditions))
    )


def _fully_refunded() -> sa.ColumnElement:
    whole = sa.and_(Order.status == OrderStatus.PAID, Order.amount_minor > 0, Order.refunded_minor == Order.amount_minor)
    return sa.or_(Order.status == OrderStatus.REFUNDED, whole)


def paid_without_entitlement() -> Iterator[str]:
    query = (
        _order_entitlement()
        .where(Order.status == OrderStatus.PAID, sa.not_(_fully_refunded()), Entitlement.id.is_(None))
        .order_by(Order.id)
    )
    for order_id in db.session.scalars(query):
        yield f"order {order_id}: paid, but no entitlement was granted"


def refunded_with_active_entitlement() -> Iterator[str]:
    query = (
        _order_entitlement(Entitlement.status == EntitlementStatus.ACTIVE)
        .where(_fully_refunded(), Entitlement.id.is_not(None)).distinct().order_by(Order.id)
    )
    for order_id in db.session.scalars(query):
        yield f"order {order_id}: fully refunded, but its entitlement is still active"


def unbalanced_transactions() -> Iterator[str]:
    total = sa.func.sum(LedgerEntry.amount_minor)
    query = (
        sa.select(LedgerEntry.transaction_id, LedgerEntry.currency, total)
        .group_by(LedgerEntry.transaction_id, LedgerEntry.currency)
        .having(total != 0).order_by(LedgerEntry.transaction_id)
    )
    for transaction_id, currency, amount in db.session.execute(query):
        yield f"ledger transaction {transaction_id}: entries sum to {amount} {currency}, not 0"


def running_balance_drift() -> Iterator[str]:
    """Entries whose running balance is not the sum of their account's entries up to them,
    and accounts whose balance now is not the sum of all of them."""
    running = sa.func.sum(LedgerEntry.amount_minor).over(
        partition_by=(LedgerEntry.account, LedgerEntry.currency), order_by=(LedgerEntry.created_at, LedgerEntry.id),
    )
    entries = sa.select(LedgerEntry.id, LedgerEntry.balance_after_minor.label("kept"), running.label("sum")).subquery()
    query = sa.select(entries.c.id, entries.c.kept, entries.c.sum).where(entries.c.kept != entries.c.sum)
    for entry_id, kept, total in db.session.execute(query.order_by(entries.c.id)):
        yield f"ledger entry {entry_id}: running balance {kept}, but the entries up to it add up to {total}"
    sums = (
        sa.select(LedgerEntry.account, LedgerEntry.currency, sa.func.sum(LedgerEntry.amount_minor).label("total"))
        .group_by(LedgerEntry.account, LedgerEntry.currency).subquery()
    )
    stored = sa.func.coalesce(LedgerBalance.balance_minor, 0)
    balances = (
        sa.select(sums.c.account, sums.c.currency, stored, sums.c.total)
        .outerjoin(LedgerBalance, sa.and_(LedgerBalance.account == sums.c.account,
                                          LedgerBalance.currency == sums.c.currency))
        .where(stored != sums.c.total).order_by(sums.c.account, sums.c.currency)
    )
    for account, currency, balance, total in db.session.execute(balances):
        yield f"ledger account {account}: balance {balance} {currency}, but its entries add up to {total}"


def daily_sums_drift() -> Iterator[str]:
    """Accounts whose daily sums, in each zone they are marked kept in, do not add up to their
    quarter-hour sums (per currency and kind). A UNION rather than a FULL JOIN, which SQLite
    lacks before 3.39."""
    days = sa.select(LedgerDay.zone, LedgerDay.account, LedgerDay.currency, LedgerDay.kind,
                     LedgerDay.amount_minor, LedgerDay.fee_minor, LedgerDay.entries)
    days = days.join(LedgerDayZone, LedgerDayZone.zone == LedgerDay.zone)
    slots = sa.select(LedgerDayZone.zone, LedgerSlot.account, LedgerSlot.currency, LedgerSlot.kind,
                      -LedgerSlot.amount_minor, -LedgerSlot.fee_minor, -LedgerSlot.entries)
    slots = slots.join(LedgerDayZone, sa.true())
    rows = sa.union_all(days, slots).subquery()
    zone, account, currency, kind, amount, fee, entries = rows.c
    query = (
        sa.select(account, currency, kind, zone).group_by(zone, account, currency, kind)
        .having(sa.or_(sa.func.sum(amount) != 0, sa.func.sum(fee) != 0, sa.func.sum(entries) != 0))
        .order_by(account, currency, kind, zone)
    )
    for name, code, what, where in db.session.execute(query):
        yield (f"ledger account {name}: its daily {what} sums in {code} do not add up to its quarter-hour sums "
               f"(days in {where})")


def refunded_amount_mismatch() -> Iterator[str]:
    refunded = (
        sa.select(Refund.order_id, sa.func.sum(Refund.amount_minor).label("total"))
        .group_by(Refund.order_id).subquery()
    )
    total = sa.func.coalesce(refunded.c.total, 0)
    query = (
        sa.select(Order.id, Order.refunded_minor, total)
        .outerjoin(refunded, refunded.c.order_id == Order.id)
        .where(Order.refunded_minor != total).order_by(Order.id)
    )
    for order_id, on_order, in_refunds in db.session.execute(query):
        yield f"order {order_id}: refunded_minor is {on_order}, but its refunds add up to {in_refunds}"


CHECKS: tuple[Callable[[], Iterator[str]], ...] = (
    paid_without_payment, payment_without_ledger, refund_without_ledger, payout_without_ledger,
    paid_without_entitlement, refunded_with_active_entitlement, unbalanced_transactions,
    running_balance_drift, daily_sums_drift, refunded_amount_mismatch,
)


def drift() -> list[str]:
    """Every disagreement found, one line each; empty when the records agree."""
    return [line for check in CHECKS for line in check()]


@click.group("commerce")
def commerce_cli() -> None:
    """Commerce: check the money records, refill the statements' daily sums."""


@commerce_cli.command("reconcile")
@with_appcontext
def reconcile_command() -> None:
    """Check orders, payments, refunds, entitlements and the ledger against each other.

    Prints one line per problem and exits 1 when there is any; exits 0 when all agree.
    """
    problems = drift()
    for line in problems:
        click.echo(line)
    if problems:
        raise SystemExit(1)
    click.echo("No drift: orders, payments, refunds, entitlements and the ledger agree.")
