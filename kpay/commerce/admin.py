"""Admin console: orders found by status, provider, product, creator, member and date; an
order's page with its history, payments, refunds and entitlement, where an admin confirms or
rejects a transfer and refunds (``commerce.manage``)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from kpay.admin.views import bp
from kpay.commerce import confirmations, orders
from kpay.commerce.admin_forms import OrderFilters, RefundForm, RejectForm
from kpay.commerce.money import amount_text, format_money, parse_money
from kpay.commerce.providers import providers
from kpay.commerce.refunds import RefundRefused, refund_by_admin, refunds_through
from kpay.extensions import db
from kpay.listing import day_start, paginate, read_filters
from kpay.members import matching
from kpay.models import User
from kpay.models.commerce import (
    Entitlement, EntitlementEvent, LedgerEntry, LedgerTransaction, Order, OrderEvent, Payment, Product, Refund,
)
from kpay.permissions import require
from kpay.render import render


@bp.route("/orders")
def orders_list():
    """Orders matching the filters, newest first; htmx gets the table."""
    require("commerce.manage")
    offered = [SelectChoice(p.name, p.label) for p in providers()]  # from configuration, not a scan of orders
    form, values = read_filters(OrderFilters, choices={"provider": offered})
    query = sa.select(*LIST_COLUMNS)
    if "status" in values:
        query = query.where(Order.status == values["status"])
    if "provider" in values:
        query = query.where(Order.provider == values["provider"])
    if "product" in values:
        named = sa.select(Product.id).where(Product.name.icontains(values["product"], autoescape=True))
        query = query.where(Order.product_id.in_(named))
    if "creator" in values:
        creators = sa.select(User.id).where(matching(values["creator"]))
        theirs = sa.select(Product.id).where(Product.creator_id.in_(creators))
        query = query.where(Order.product_id.in_(theirs))
    if "member" in values:
        query = query.where(Order.user_id.in_(sa.select(User.id).where(matching(values["member"]))))
    if "date_from" in values:
        query = query.where(Order.created_at >= day_start(values["date_from"]))
    if "date_to" in values:
        query = query.where(Order.created_at < day_start(values["date_to"] + timedelta(days=1)))
    listing = paginate(query, "admin.orders_list", values, (Order.id,), descending=True)
    products = _columns_by_id(Product.name, Product.creator_id, ids={row[3] for row in listing.rows})
    people = {user_id: name for user_id, (name,) in _columns_by_id(
        User.display_name, ids={row[2] for row in listing.rows} | {creator for _name, creator in products.values()},
    ).items()}
    return render(
        "admin/orders.html", "admin/_orders.html", form=form, listing=listing, products=products, people=people,
    )


# The list's columns, as ``_orders.html`` unpacks them: rows, not ``Order`` objects, are read.
LIST_COLUMNS = (Order.id, Order.created_at, Order.user_id, Order.product_id, Order.amount_minor, Order.refunded_minor,
                Order.currency, Order.provider, Order.status)


def _columns_by_id(*columns, ids: set[int]) -> dict[int, tuple]:
    """{id: (the columns)} of the rows of the columns' table with these ids, in one query."""
    table = columns[0].class_
    found = db.session.execute(sa.select(table.id, *columns).where(table.id.in_(ids))) if ids else ()
    return {row_id: tuple(rest) for row_id, *rest in found}


def _by_id(model, ids: set[int]) -> dict:
    """Rows of ``model`` with these ids, by id, in one query."""
    return {row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)))} if ids else {}


@bp.route("/orders/<int:order_id>")
def order(order_id: int):
    require("commerce.manage")
    return _order_page(db.get_or_404(Order, order_id))


def _order_page(order: Order, refund_form: RefundForm | None = None, reject_form: RejectForm | None = None,
                status: int = 200):
    """The order with everything that happened to it, and the forms that act on it."""
    history = db.session.scalars(
        sa.select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()
    payments = db.session.scalars(sa.select(Payment).where(Payment.order_id == order.id)).all()
    refunds = db.session.scalars(sa.select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)).all()
    entitlement = db.session.scalar(sa.select(Entitlement).where(Entitlement.source == f"order:{order.id}"))
    entitlement_events = db.session.scalars(
        sa.select(EntitlementEvent).where(EntitlementEvent.entitlement_id == getattr(entitlement, "id", None))
        .order_by(EntitlementEvent.id)
    ).all()
    ledger = db.session.execute(
        sa.select(LedgerTransaction, LedgerEntry)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerTransaction.order_id == order.id).order_by(LedgerTransaction.id, LedgerEntry.id)
    ).all()
    product = db.session.get(Product, order.product_id)
    people = _by_id(
        User, {order.user_id, product.creator_id} | {e.actor_id for e in history if e.actor_id}
        | {r.actor_id for r in refunds if r.actor_id},
    )
    refundable = orders.refundable(order)
    if refund_form is None:
        refund_form = RefundForm(formdata=None)
        refund_form.amount.data = amount_text(refundable, order.currency)
        refund_form.nonce.data = secrets.token_urlsafe(24)
    refund_form.amount.description = _("Up to %(amount)s.", amount=format_money(refundable, order.currency))
    return render(
        "admin/order.html", status=status, order=order, product=product, people=people, history=history,
        payments=payments, refunds=refunds, entitlement=entitlement, entitlement_events=entitlement_events,
        ledger=ledger, refundable=refundable, refunds_through=refunds_through(order),
        refund_form=refund_form, reject_form=reject_form or RejectForm(formdata=None),
    )


@bp.route("/orders/<int:order_id>/confirm", methods=["POST"])
def confirm_order(order_id: int):
    """Confirm the member's transfer: the order is paid and they are told."""
    require("commerce.manage")
    found = db.get_or_404(Order, order_id)
    if confirmations.confirm(found, current_user._get_current_object()):
        flash(_("Payment confirmed; the member has access now."), "success")
    else:
        flash(_("This order no longer waits for confirmation."), "error")
    db.session.commit()
    return redirect(url_for("admin.order", order_id=found.id))


@bp.route("/orders/<int:order_id>/reject", methods=["POST"])
def reject_order(order_id: int):
    """Reject the member's transfer with a reason they are told; the order is cancelled."""
    require("commerce.manage")
    found = db.get_or_404(Order, order_id)
    form = RejectForm()
    if not form.validate():
        return _order_page(found, reject_form=form, status=422)
    if confirmations.reject(found, current_user._get_current_object(), form.reason.data):
        flash(_("The transfer is rejected and the order cancelled; the member was told why."), "success")
    else:
        flash(_("This order no longer waits for confirmation."), "error")
    db.session.commit()
    return redirect(url_for("admin.order", order_id=found.id))


@bp.route("/orders/<int:order_id>/refund", methods=["POST"])
def refund_order(order_id: int):
    """Refund part or all of a paid order, once per form."""
    require("commerce.manage")
    found = db.get_or_404(Order, order_id)
    form = RefundForm()
    if not form.validate():
        if form.nonce.errors:
            form.amount.errors.append(_("This form has expired. Please try again."))
        return _order_page(found, refund_form=form, status=422)
    amount = parse_money(form.amount.data, found.currency)
    if amount is None:
        form.amount.errors.append(_("Enter an amount such as %(example)s.", example=amount_text(150, found.currency)))
        return _order_page(found, refund_form=form, status=422)
    try:
        made = refund_by_admin(found, amount, f"admin:{form.nonce.data}", current_user._get_current_object(),
                               form.reason.data or "")
    except RefundRefused as refused:
        db.session.rollback()
        form.amount.errors.append(str(refused))
        if not orders.refundable(found):  # the form is not shown any more: say it at the top
            flash(str(refused), "error")
        return _order_page(found, refund_form=form, status=422)
    db.session.commit()
    if made is None:
        flash(_("This refund was made already."), "info")
    else:
        flash(_("Refund recorded; the member was told."), "success")
    return redirect(url_for("admin.order", order_id=found.id))
