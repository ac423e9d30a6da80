"""The transfer page (instructions, amount, QR code, the reference form) and the QR image."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kpay.api import Order, OrderStatus, Product, db, payment_provider, render
from plugins.pay_manual.forms import ReferenceForm
from plugins.pay_manual.transfers import PROVIDER, qr_image, settings, submit_reference

bp = Blueprint("pay_manual", __name__, template_folder="templates")


def _order(order_id: int) -> Order:
    order = db.get_or_404(Order, order_id)
    if order.user_id != current_user.id or order.provider != PROVIDER:
        abort(404)
    return order


def _page(order: Order, form: ReferenceForm, status: int = 200):
    return render(
        "pay_manual/pay.html", status=status, order=order, form=form,
        product=db.session.get(Product, order.product_id), settings=settings(), has_qr=qr_image() is not None,
    )


@bp.route("/<int:order_id>", methods=["GET", "POST"])
@login_required
def pay(order_id: int):
    """How to transfer the order's amount, and the form for the transfer's reference."""
    order = _order(order_id)
    if order.status != OrderStatus.PENDING or payment_provider(PROVIDER) is None:
        return redirect(url_for("commerce.order", order_id=order.id))
    form = ReferenceForm()
    if not form.is_submitted():
        return _page(order, form)
    if not form.validate():
        return _page(order, form, 422)
    if submit_reference(order, current_user, form.reference.data):
        flash(_("Thank you. We will tell you as soon as your transfer is confirmed."), "success")
    db.session.commit()
    return redirect(url_for("commerce.order", order_id=order.id))


@bp.route("/qr")
@login_required
def qr():
    """The site's payment QR code, from the instance folder."""
    found = qr_image()
    if found is None:
        abort(404)
    path, mimetype = found
    return send_file(path, mimetype=mimetype, max_age=300)
