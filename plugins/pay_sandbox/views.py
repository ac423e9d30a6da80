"""The sandbox's checkout page: pay (test) or cancel, each a POST."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kpay.api import Order, OrderStatus, Product, db, mark_paid, render

bp = Blueprint("pay_sandbox", __name__, template_folder="templates")


def _order(order_id: int) -> Order:
    order = db.get_or_404(Order, order_id)
    if order.user_id != current_user.id or order.provider != "sandbox":
        abort(404)
    return order


@bp.route("/<int:order_id>")
@login_required
def checkout(order_id: int):
    order = _order(order_id)
    if order.status != OrderStatus.PENDING:
        return redirect(url_for("commerce.order", order_id=order.id))
    return render("pay_sandbox/checkout.html", order=order, product=db.session.get(Product, order.product_id))


@bp.route("/<int:order_id>/pay", methods=["POST"])
@login_required
def pay(order_id: int):
    """Mark the order paid, as a provider's callback would; a second click changes nothing."""
    order = _order(order_id)
    if order.status != OrderStatus.PENDING:  # expired or cancelled meanwhile: nothing to pay
        return redirect(url_for("commerce.order", order_id=order.id))
    if mark_paid(order.id, "sandbox", f"sandbox:{order.id}", order.amount_minor, order.currency):
        flash(_("Payment received. Thank you!"), "success")
    db.session.commit()
    return redirect(url_for("commerce.order", order_id=order.id))
