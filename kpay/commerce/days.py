"""The creators' daily sums (``ledger_days``), refilled from the quarter-hour sums for a time
zone: by migration ``0012_ledger_days``, and after the site's ``timezone`` changed by the
clock's ``commerce.keep_days`` sweep or at once by ``kpay commerce fill-days`` (until then
statements add up the quarter hours, as before)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from kpay.extensions import db
from kpay.models.commerce import LedgerDay, LedgerDayZone, LedgerSlot


def refill(connection: sa.Connection, zone_name: str) -> None:
    """Sum every quarter hour into its day in ``zone_name`` and mark that zone's days kept.

    Bookings and another refill wait meanwhile (PostgreSQL: a lock on the slots that conflicts
    with writers and with itself; SQLite: the write lock the first delete takes), so none is
    missed or counted twice and one zone's days are kept at a time. The caller commits."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("LOCK TABLE ledger_slots IN SHARE ROW EXCLUSIVE MODE"))
    connection.execute(sa.delete(LedgerDayZone))
    connection.execute(sa.delete(LedgerDay))
    zone = ZoneInfo(zone_name)
    sums: dict[tuple, list[int]] = {}
    slots = sa.select(LedgerSlot.account, LedgerSlot.currency, LedgerSlot.quarter, LedgerSlot.kind,
                      LedgerSlot.amount_minor, LedgerSlot.fee_minor, LedgerSlot.entries)
    for account, currency, quarter, kind, amount, fee, entries in connection.execute(slots):
        day = datetime.fromtimestamp(quarter * 900, zone).date()
        total = sums.setdefault((account, zone_name, day, currency, kind), [0, 0, 0])
        total[0] += amount
        total[1] += fee
        total[2] += entries
    if sums:
        connection.execute(sa.insert(LedgerDay), [
            {"account": account, "zone": zone, "day": day, "currency": currency, "kind": kind,
             "amount_minor": amount, "fee_minor": fee, "entries": entries}
            for (account, zone, day, currency, kind), (amount, fee, entries) in sums.items()
        ])
    connection.execute(sa.insert(LedgerDayZone), {"zone": zone_name})


def keep_days_in_site_zone() -> None:
    """Refill the daily sums when they are not kept in the site's time zone (it changed)."""
    zone = current_app.config["KPAY"]["timezone"]
    if db.session.scalar(sa.select(LedgerDayZone.zone).where(LedgerDayZone.zone == zone)) is None:
        refill(db.session.connection(), zone)


@click.command("fill-days")
@with_appcontext
def fill_days_command() -> None:
    """Refill the creators' daily sums in the site's time zone (after changing ``timezone``)."""
    zone = current_app.config["KPAY"]["timezone"]
    refill(db.session.connection(), zone)
    db.session.commit()
    click.echo(f"Daily sums kept in {zone}.")
