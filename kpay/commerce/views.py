"""The shop, a product's page with its checkout, an order's page, and "My purchases"."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kpay.commerce import entitlements, orders
from kpay.commerce.forms import CheckoutForm
from kpay.commerce.providers import provider, providers
from kpay.extensions import db, limiter
from kpay.listing import paginate
from kpay.models import User
from kpay.models.commerce import Entitlement, Order, OrderEvent, Payout, Product
from kpay.permissions import can
from kpay.render import render

bp = Blueprint("commerce", __name__, url_prefix="")
PURCHASES_PER_PAGE = 20
PAYOUTS_SHOWN = 10
SHOP_PER_PAGE = 24  # tiles: rows of 2, 3 and 4 alike


@bp.route("/shop/")
def shop():
    """The products on sale, newest first, a page at a time."""
    on_sale = sa.select(Product, User).join(User, User.id == Product.creator_id).where(Product.active.is_(True))
    listing = paginate(on_sale, "commerce.shop", {"cursor": request.args.get("cursor")}, (Product.id,),
                       descending=True, per_page=SHOP_PER_PAGE)
    return render("commerce/shop.html", products=listing.rows, listing=listing)


def _offered() -> dict:
    """The enabled payment providers by name, in display order."""
    return {p.name: p for p in providers()}


def _checkout_form(offered: dict) -> CheckoutForm:
    form = CheckoutForm()
    form.provider.choices = [(p.name, p.label) for p in offered.values()]
    if not form.is_submitted():
        form.nonce.data = secrets.token_urlsafe(24)
        if len(form.provider.choices) == 1:
            form.provider.data = form.provider.choices[0][0]
    return form


def _product_page(product: Product, form: CheckoutForm, offered: dict, status: int = 200):
    held_until = None
    if current_user.is_authenticated and product.kind == "membership":
        held_until = entitlements.paid_until(current_user.id, product.id)
    owned = current_user.is_authenticated and entitlements.has_active(current_user.id, [product.id])
    return render(
        "commerce/product.html", product=product, creator=db.session.get(User, product.creator_id),
        form=form, owned=owned, held_until=held_until, providers=offered,
    ), status


@bp.route("/shop/<int:product_id>")
def product(product_id: int):
    item = db.get_or_404(Product, product_id)
    if not item.active and not _manages(item):
        abort(404)
    offered = _offered()
    return _product_page(item, _checkout_form(offered), offered)


@bp.route("/shop/<int:product_id>/checkout", methods=["POST"])
@login_required
@limiter.limit("30/hour", key_func=lambda: f"checkout:{current_user.id}")
def checkout(product_id: int):
    """Price the order here, then hand the member to the chosen provider."""
    item = db.get_or_404(Product, product_id)
    offered = _offered()
    form = _checkout_form(offered)
    if not form.validate():
        return _product_page(item, form, offered, 422)
    try:
        order = orders.checkout(current_user, item, form.provider.data, form.nonce.data, form.coupon.data or "")
    except orders.CheckoutError as error:
        db.session.rollback()
        getattr(form, error.field, form.nonce).errors = [str(error.message)]
        if error.field not in ("coupon", "provider"):
            flash(str(error.message), "error")
        return _product_page(item, form, offered, 422)
    db.session.commit()
    return _continue(order)


def _continue(order: Order):
    """Where an order goes next: its page once paid or closed, else its provider."""
    chosen = provider(order.provider)
    if order.status not in orders.OPEN or chosen is None:
        return redirect(url_for("commerce.order", order_id=order.id))
    return chosen.start(order)


def _manages(item: Product) -> bool:
    return current_user.is_authenticated and (
        can("commerce.manage") or (can("commerce.sell") and item.creator_id == current_user.id)
    )


def _own_order(order_id: int) -> Order:
    order = db.get_or_404(Order, order_id)
    if order.user_id != current_user.id and not can("commerce.manage"):
        abort(404)
    return order


@bp.route("/orders/<int:order_id>")
@login_required
def order(order_id: int):
    """The order's receipt once paid, else its state and a way to go on paying or cancel."""
    found = _own_order(order_id)
    history = db.session.scalars(
        sa.select(OrderEvent).where(OrderEvent.order_id == found.id).order_by(OrderEvent.id)
    ).all()
    granted = db.session.scalar(
        sa.select(Entitlement).where(Entitlement.source == f"order:{found.id}")
    )
    return render(
        "commerce/order.html", order=found, product=db.session.get(Product, found.product_id),
        history=history, entitlement=granted, provider=provider(found.provider),
    )


@bp.route("/orders/<int:order_id>/pay", methods=["POST"])
@login_required
def pay(order_id: int):
    """Go back to paying an open order (the provider's page was closed), unless the member
    has come to own its product meanwhile (another tab's order): then it is cancelled."""
    found = _own_order(order_id)
    if found.status in orders.OPEN and orders.owns(found.user_id, db.session.get(Product, found.product_id)):
        orders.cancel(found, current_user, "already owned")
        db.session.commit()
        flash(_("You already own this. You will find it in your purchases."), "info")
        return redirect(url_for("commerce.order", order_id=found.id))
    return _continue(found)


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@login_required
def cancel(order_id: int):
    found = _own_order(order_id)
    if orders.cancel(found, current_user, "cancelled by the member"):
        flash(_("Your order is cancelled."), "info")
    db.session.commit()
    return redirect(url_for("commerce.order", order_id=found.id))


@bp.route("/account/purchases")
@login_required
def purchases():
    """The member's orders with receipts, newest first a page at a time, the memberships they
    hold with their end dates, and the latest payouts recorded to them (a referrer's
    commission, say: a member who sells nothing has no revenue page to read them on)."""
    mine = sa.select(Order, Product).join(Product, Product.id == Order.product_id).where(Order.user_id == current_user.id)
    listing = paginate(mine, "commerce.purchases", {"cursor": request.args.get("cursor")}, (Order.id,),
                       descending=True, per_page=PURCHASES_PER_PAGE)
    paid = db.session.scalars(sa.select(Payout).where(Payout.creator_id == current_user.id)
                              .order_by(Payout.id.desc()).limit(PAYOUTS_SHOWN)).all()
    return render("commerce/purchases.html", listing=listing, held=entitlements.held_products(current_user.id),
                  payouts=paid)
