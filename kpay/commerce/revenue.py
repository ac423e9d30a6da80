"""A creator's monthly revenue statement, read from the money ledger, as a page and as CSV.

Every ledger transaction that touches the creator's account (``creator:<id>``) in the month
is a line: a payment, a refund or a payout. From the creator's side a line has an amount
(what the member paid, or got back), the platform's fee on it, and the net, the change in
what the site owes the creator. A month runs from midnight to midnight in the site's time zone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa
from flask import Response, abort, request
from flask_login import current_user
from sqlalchemy.orm import aliased
from wtforms.fields.choices import SelectChoice

from kpay.commerce import ledger
from kpay.commerce.studio import site_zone
from kpay.commerce.money import amount_text
from kpay.commerce.studio_forms import RevenueFilters
from kpay.commerce.views import bp
from kpay.extensions import db
from kpay.listing import read_filters
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import LedgerEntry, LedgerTransaction, Order, Product
from kpay.permissions import can, require
from kpay.render import render


@dataclass(frozen=True)
class Line:
    """One ledger transaction on the creator's account, in minor units of ``currency``."""

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
    """A month's figures in one currency; ``owed`` is the balance at the month's end."""

    gross: int = 0
    refunds: int = 0
    fee: int = 0
    net: int = 0
    paid_out: int = 0
    owed: int = 0


@dataclass
class Statement:
    creator: User
    month: date
    lines: list[Line] = field(default_factory=list)
    totals: dict[str, Totals] = field(default_factory=dict)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of ``month`` and of the month after, in the site's time zone."""
    zone = site_zone()
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return datetime.combine(month, time(), tzinfo=zone), datetime.combine(following, time(), tzinfo=zone)


def statement(creator: User, month: date) -> Statement:
    """The creator's lines and totals (by currency) for ``month``."""
    start, end = month_bounds(month)
    account = ledger.creator_account(creator.id)
    mine, fees = aliased(LedgerEntry), aliased(LedgerEntry)
    rows = db.session.execute(
        sa.select(LedgerTransaction, mine.amount_minor, mine.currency, fees.amount_minor, Product.name)
        .join(mine, sa.and_(mine.transaction_id == LedgerTransaction.id, mine.account == account))
        .outerjoin(fees, sa.and_(fees.transaction_id == LedgerTransaction.id, fees.account == ledger.FEES))
        .outerjoin(Order, Order.id == LedgerTransaction.order_id)
        .outerjoin(Product, Product.id == Order.product_id)
        .where(LedgerTransaction.created_at >= start, LedgerTransaction.created_at < end)
        .order_by(LedgerTransaction.created_at, LedgerTransaction.id)
    ).all()
    result = Statement(creator, month)
    for txn, creator_entry, currency, fee_entry, product in rows:
        # The creator's account is a credit: minus is owed to them. The fee account likewise.
        net, fee = -creator_entry, -(fee_entry or 0)
        line = Line(
            txn.created_at, txn.kind, txn.order_id, product or "", net + fee, fee, net, currency,
            txn.memo if txn.kind == "payout" else "",
        )
        result.lines.append(line)
        totals = result.totals.setdefault(currency, Totals())
        if line.kind == "payout":
            totals.paid_out -= line.net
            continue
        if line.kind == "payment":
            totals.gross += line.amount
        elif line.kind == "refund":
            totals.refunds -= line.amount
        totals.fee += line.fee
        totals.net += line.net
    balances = db.session.execute(
        sa.select(LedgerEntry.currency, sa.func.sum(LedgerEntry.amount_minor))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account == account, LedgerTransaction.created_at < end)
        .group_by(LedgerEntry.currency)
    ).all()
    for currency, balance in balances:
        result.totals.setdefault(currency, Totals()).owed = -int(balance)
    return result


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
        statement=statement(creator, month), previous=_shift(month, -1), following=_shift(month, 1),
    )


def _shift(month: date, months: int) -> str:
    index = month.year * 12 + month.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


CSV_HEADER = ("date", "type", "order", "product", "amount", "platform_fee", "net", "currency", "reference")


@bp.route("/studio/revenue.csv")
def revenue_csv():
    """The statement's lines as CSV, one row per payment, refund and payout."""
    form, creator, month = _chosen()
    if form.errors:
        abort(400)
    found = statement(creator, month)
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the UTF-8 product names as UTF-8
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    zone = site_zone()
    for line in found.lines:
        writer.writerow((
            line.at.astimezone(zone).isoformat(timespec="seconds"), line.kind, line.order_id or "",
            _cell(line.product), *(amount_text(n, line.currency) for n in (line.amount, line.fee, line.net)),
            line.currency, _cell(line.reference),
        ))
    name = f"revenue-{month:%Y-%m}-creator-{creator.id}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"},
    )


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a name may start with ``=``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
