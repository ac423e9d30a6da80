"""A creator's monthly revenue statement, read from the money ledger, as a page and as CSV.

Every ledger transaction that touches the creator's account (``creator:<id>``) in the month
is a line: a payment, a refund or a payout. From the creator's side a line has an amount
(what the member paid, or got back), the platform's fee on it, and the net, the change in
what the site owes the creator. A month runs from midnight to midnight in the site's time zone.

The page costs about the same for a creator with ten sales a month or ten thousand: the month
is shown as daily totals (at most 31 rows per currency and kind) read from the ledger's daily
sums in the site's time zone (``ledger_days``; from its quarter-hour sums, ``ledger_slots``,
while the days are not kept in that zone), the lines a page at a time (keyset, on the
ledger's ``(account, created_at, id)`` index), and the balances are the running totals the
ledger keeps on its entries (one index lookup each). The CSV streams every line.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import Response, abort, request, stream_with_context
from flask_login import current_user
from sqlalchemy.orm import aliased
from wtforms.fields.choices import SelectChoice

from kpay.commerce import ledger
from kpay.commerce.money import amount_text
from kpay.commerce.studio import site_zone
from kpay.commerce.studio_forms import RevenueFilters
from kpay.commerce.views import bp
from kpay.extensions import db
from kpay.listing import read_filters
from kpay.models import User
from kpay.models.base import UTCDateTime, utcnow
from kpay.models.commerce import (
    LedgerBalance, LedgerDay, LedgerDayZone, LedgerEntry, LedgerSlot, LedgerTransaction, Order, Product,
)
from kpay.permissions import can, require
from kpay.render import render

PER_PAGE = 50


class Line(NamedTuple):
    """One ledger transaction on the creator's account, in minor units of ``currency`` (a
    tuple: the page's rows unpack it rather than look up each field)."""

    id: int  # the creator's ledger entry
    at: datetime
    kind: str
    order_id: int | None
    product: str
    amount: int
    fee: int
    net: int
    currency: str
    reference: str


@dataclass
class Totals:
    """Figures in one currency (a month's or a day's); ``owed`` is the balance at the end."""

    gross: int = 0
    refunds: int = 0
    fee: int = 0
    net: int = 0
    paid_out: int = 0
    owed: int = 0

    def add(self, kind: str, amount: int, fee: int, net: int) -> None:
        """Count the sum of a kind of lines: payments, refunds or payouts."""
        if kind == "payout":
            self.paid_out -= net
            return
        if kind == "payment":
            self.gross += amount
        elif kind == "refund":
            self.refunds -= amount
        self.fee += fee
        self.net += net


@dataclass
class Statement:
    creator: User
    month: date
    totals: dict[str, Totals] = field(default_factory=dict)
    days: list[tuple[date, str, Totals]] = field(default_factory=list)  # (day, currency, totals)
    lines: list[Line] = field(default_factory=list)  # one page of them
    after: str | None = None  # the cursor of the next page of lines


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of ``month`` and of the month after, in the site's time zone."""
    zone = site_zone()
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return datetime.combine(month, time(), tzinfo=zone), datetime.combine(following, time(), tzinfo=zone)


@functools.cache
def _lines_query(keyset: bool) -> sa.Select:
    """The creator's entries booked in ``[:start, :end)`` (after ``(:after_at, :after_id)``
    with ``keyset``), oldest first, up to ``:limit``, with their transaction, the fee entry
    beside them and the product as sold. Built once: composing it costs more than running it."""
    mine, fees = aliased(LedgerEntry), aliased(LedgerEntry)
    query = (
        sa.select(mine.id, mine.created_at, LedgerTransaction.kind, LedgerTransaction.order_id, LedgerTransaction.memo,
                  mine.amount_minor.label("mine"), mine.currency, fees.amount_minor.label("fee"), Order.product_name)
        .join(LedgerTransaction, LedgerTransaction.id == mine.transaction_id)
        .outerjoin(fees, sa.and_(fees.transaction_id == mine.transaction_id, fees.account == ledger.FEES))
        .outerjoin(Order, Order.id == LedgerTransaction.order_id)
        .where(mine.account == sa.bindparam("account"), mine.created_at >= sa.bindparam("start"),
               mine.created_at < sa.bindparam("end"))
        .order_by(mine.created_at, mine.id).limit(sa.bindparam("limit"))
    )
    if keyset:
        after = sa.tuple_(sa.bindparam("after_at", type_=UTCDateTime()), sa.bindparam("after_id", type_=sa.Integer()))
        query = query.where(sa.tuple_(mine.created_at, mine.id) > after)
    return query


def _line(row) -> Line:
    entry_id, at, kind, order_id, memo, creator_entry, currency, fee_entry, product = row
    # The creator's account is a credit: minus is owed to them. The fee account likewise.
    net, fee = -creator_entry, -(fee_entry or 0)
    return Line(entry_id, at, kind, order_id, product or "", net + fee, fee, net, currency,
                memo if kind == "payout" else "")


def _cursor(line: Line) -> str:
    return f"{line.at.astimezone(UTC):%Y%m%d%H%M%S%f}-{line.id}"


def _parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    """The (booked at, entry id) a page of lines starts after; None for a missing or bad one."""
    found = re.fullmatch(r"(\d{20})-(\d{1,18})", text or "")
    if not found:
        return None
    try:
        return datetime.strptime(found.group(1), "%Y%m%d%H%M%S%f").replace(tzinfo=UTC), int(found.group(2))
    except ValueError:
        return None


def _balances(account: str, end: datetime) -> tuple[Sequence[tuple[str, int | None]], bool]:
    """(currency, balance before ``end``) of every currency the account ever held: the
    running total on its last entry before then (None: no entry yet); and whether the daily
    sums are kept in the site's time zone (read in the same statement)."""

    def balance_before(moment: datetime):
        return (
            sa.select(LedgerEntry.balance_after_minor)
            .where(LedgerEntry.account == LedgerBalance.account, LedgerEntry.currency == LedgerBalance.currency,
                   LedgerEntry.created_at < moment)
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()).limit(1)
            .correlate(LedgerBalance).scalar_subquery()
        )

    kept = sa.exists().where(LedgerDayZone.zone == str(end.tzinfo))
    rows = db.session.execute(
        sa.select(LedgerBalance.currency, balance_before(end), kept)
        .where(LedgerBalance.account == account).order_by(LedgerBalance.currency)
    ).all()
    return [(currency, closing) for currency, closing, _kept in rows], any(row[2] for row in rows)


def _daily(account: str, start: datetime, end: datetime, kept: bool) -> dict[tuple[int, str, str], list[int]]:
    """{(day index, currency, kind): [sum of the creator's entries, sum of the fee entries]}
    for each day of the month in the site's zone: read from the daily sums when they are
    kept in that zone (at most 31 rows per currency and kind), else added up by the database
    from the quarter-hour sums (at most 2,976 per kind)."""
    if kept:
        first = start.date()
        rows = db.session.execute(_days_query(), {"account": account, "zone": str(start.tzinfo), "first": first,
                                                  "following": end.date()})
        return {((day - first).days, currency, kind): [mine, fee] for day, currency, kind, mine, fee in rows}
    zone = start.tzinfo
    values = {"account": account, "start": ledger.quarter_of(start), "end": ledger.quarter_of(end)}
    day = start.date() + timedelta(days=1)
    while (midnight := datetime.combine(day, time(), tzinfo=zone)) < end:
        values[f"midnight{len(values) - 3}"] = ledger.quarter_of(midnight)
        day += timedelta(days=1)
    rows = db.session.execute(_daily_query(len(values) - 3), values)
    return {(number, currency, kind): [mine, fee] for number, currency, kind, mine, fee in rows}


@functools.cache
def _days_query() -> sa.Select:
    """The account's daily sums in ``:zone`` from ``:first`` to before ``:following``."""
    return sa.select(LedgerDay.day, LedgerDay.currency, LedgerDay.kind, LedgerDay.amount_minor,
                     LedgerDay.fee_minor).where(
        LedgerDay.account == sa.bindparam("account"), LedgerDay.zone == sa.bindparam("zone"),
        LedgerDay.day >= sa.bindparam("first"), LedgerDay.day < sa.bindparam("following"),
    )


@functools.cache
def _daily_query(midnights: int) -> sa.Select:
    """The account's quarter-hour sums in ``[:start, :end)`` summed per (day, currency, kind),
    the day being the number of ``:midnight0``... quarters at or before the slot's."""
    quarter = LedgerSlot.quarter
    number = sa.case(*((quarter < sa.bindparam(f"midnight{n}"), n) for n in range(midnights)), else_=midnights)
    slots = (
        sa.select(number.label("day"), LedgerSlot.currency, LedgerSlot.kind, LedgerSlot.amount_minor,
                  LedgerSlot.fee_minor)
        .where(LedgerSlot.account == sa.bindparam("account"), quarter >= sa.bindparam("start"),
               quarter < sa.bindparam("end"))
        .subquery()
    )
    return (
        sa.select(slots.c.day, slots.c.currency, slots.c.kind, sa.func.sum(slots.c.amount_minor),
                  sa.func.sum(slots.c.fee_minor))
        .group_by(slots.c.day, slots.c.currency, slots.c.kind)
    )


def statement(creator: User, month: date, after: str | None = None) -> Statement:
    """The creator's totals (by currency) and daily totals for ``month``, and the page of
    lines after the ``after`` cursor (from the first line without one)."""
    start, end = month_bounds(month)
    account = ledger.creator_account(creator.id)
    result = Statement(creator, month)
    balances, kept = _balances(account, end)
    for currency, closing in balances:
        if closing is not None:  # the currency was used by the month's end
            result.totals[currency] = Totals(owed=-closing)
    days: dict[tuple[int, str], Totals] = {}
    for (number, currency, kind), (mine, fee) in sorted(_daily(account, start, end, kept).items()):
        net, fee = -mine, -fee
        for totals in (days.setdefault((number, currency), Totals()),
                       result.totals.setdefault(currency, Totals())):
            totals.add(kind, net + fee, fee, net)
    result.days = [(start.date() + timedelta(days=number), currency, totals)
                   for (number, currency), totals in sorted(days.items())]
    lines = _lines(account, start, end, _parse_cursor(after), PER_PAGE + 1)
    result.lines = lines[:PER_PAGE]
    if len(lines) > PER_PAGE:
        result.after = _cursor(result.lines[-1])
    return result


def _lines(account: str, start: datetime, end: datetime, after: tuple[datetime, int] | None, limit: int) -> list[Line]:
    """Up to ``limit`` lines of the month after the line booked at ``after`` (time, entry id):
    a row-value comparison, so a late page costs what the first does."""
    values = {"account": account, "start": start, "end": end, "limit": limit}
    if after is not None:
        values.update(after_at=after[0], after_id=after[1])
    return [_line(row) for row in db.session.execute(_lines_query(after is not None), values)]


def _chosen() -> tuple[RevenueFilters, User, date]:
    """The filter form, whose statement it asks for, and which month (default: this one)."""
    require("commerce.sell")
    manager = can("commerce.manage")
    if not manager and request.args.get("creator", str(current_user.id)) not in ("", str(current_user.id)):
        abort(404)
    creators: Sequence[tuple[int, str]] = [(current_user.id, current_user.display_name)]
    if manager:
        creators = db.session.execute(
            sa.select(User.id, User.display_name)
            .where(User.id.in_(sa.select(Product.creator_id))).order_by(User.display_name, User.id)
        ).all()
    choices = [SelectChoice(str(creator_id), name) for creator_id, name in creators]
    form, values = read_filters(RevenueFilters, choices={"creator": choices})
    creator = db.session.get(User, int(values["creator"])) if values.get("creator") else current_user
    if "month" in values:
        year, number = values["month"].split("-")
        month = date(int(year), int(number), 1)
    else:
        today = utcnow().astimezone(site_zone()).date()
        month = today.replace(day=1)
    form.month.data = form.month.data or month.strftime("%Y-%m")
    return form, creator, month


@bp.route("/studio/revenue")
def revenue():
    """The monthly statement; a month that is not one re-renders the form with its error."""
    form, creator, month = _chosen()
    status = 422 if form.errors else 200
    return render(
        "commerce/studio/revenue.html", "commerce/studio/_statement.html", status=status, form=form,
        statement=statement(creator, month, request.args.get("after")), previous=_shift(month, -1),
        following=_shift(month, 1),
    )


def _shift(month: date, months: int) -> str:
    index = month.year * 12 + month.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


CSV_HEADER = ("date", "type", "order", "product", "amount", "platform_fee", "net", "currency", "reference")


@bp.route("/studio/revenue.csv")
def revenue_csv():
    """The month's lines as CSV, one row per payment, refund and payout, streamed as read."""
    form, creator, month = _chosen()
    if form.errors:
        abort(400)
    name = f"revenue-{month:%Y-%m}-creator-{creator.id}.csv"
    return Response(
        stream_with_context(_csv_rows(ledger.creator_account(creator.id), *month_bounds(month))), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )


def _csv_rows(account: str, start: datetime, end: datetime, chunk: int = 1000) -> Iterator[str]:
    """The CSV text, read and sent ``chunk`` lines at a time."""
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the UTF-8 product names as UTF-8
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    zone = site_zone()
    after = None
    while True:
        lines = _lines(account, start, end, after, chunk)
        for line in lines:
            writer.writerow((
                line.at.astimezone(zone).isoformat(timespec="seconds"), line.kind, line.order_id or "",
                _cell(line.product), *(amount_text(n, line.currency) for n in (line.amount, line.fee, line.net)),
                line.currency, _cell(line.reference),
            ))
        yield out.getvalue()
        if len(lines) < chunk:
            return
        out.seek(0)
        out.truncate()
        after = (lines[-1].at, lines[-1].id)


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a name may start with ``=``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
