"""The creator studio: a creator's own products and coupons (admins manage everyone's).

A creator who asks for another creator's product or coupon gets 404, as if it did not
exist. Every change is written to the audit log in the transaction that makes it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import Form, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from kpay import audit, covers
from kpay.commerce.money import amount_text
from kpay.commerce.studio_forms import CouponForm, ProductForm
from kpay.commerce.views import bp
from kpay.extensions import db
from kpay.listing import CURSOR_LENGTH, paginate, read_filters
from kpay.models import User
from kpay.models.commerce import Coupon, Order, Product
from kpay.permissions import can, require
from kpay.render import render


class PageFilter(Form):
    cursor = StringField(validators=[Optional(), Length(max=CURSOR_LENGTH)])


def site_currency() -> str:
    return current_app.config["KPAY"]["commerce"]["currency"]


def site_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["KPAY"]["timezone"])


def _seller() -> bool:
    """Require commerce.sell; True when the user also manages everyone's (an admin)."""
    require("commerce.sell")
    return can("commerce.manage")


def _own(model, item_id: int):
    """The product or coupon ``item_id`` if the user may manage it; else 404."""
    item = db.get_or_404(model, item_id)
    if item.creator_id != current_user.id and not can("commerce.manage"):
        abort(404)
    return item


def _listing(model, endpoint: str, everyone: bool):
    query = sa.select(model)
    if not everyone:
        query = query.where(model.creator_id == current_user.id)
    _form, values = read_filters(PageFilter)
    return paginate(query, endpoint, values, (model.id,), descending=True)


def _names(ids) -> dict[int, str]:
    """Display names of the members ``ids``, in one query."""
    return dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(set(ids)))).all())


def _apply(item, values: dict, action: str) -> None:
    """Set ``values`` on ``item`` and audit what changed (or the whole of a new item)."""
    created = item.id is None
    before = {} if created else {k: getattr(item, k) for k, v in values.items() if getattr(item, k) != v}
    for key, value in values.items():
        setattr(item, key, value)
    if created:
        db.session.add(item)
        db.session.flush()
    after = values if created else {k: values[k] for k in before}
    if created or before:
        audit.record(action, actor=current_user, target=item, before=_plain(before), after=_plain(after))


def _plain(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


# Products

@bp.route("/studio/products")
def studio_products():
    """The creator's products, newest first (an admin's: everyone's)."""
    everyone = _seller()
    listing = _listing(Product, "commerce.studio_products", everyone)
    return render(
        "commerce/studio/products.html", "commerce/studio/_products.html", listing=listing, everyone=everyone,
        creators=_names(p.creator_id for p in listing.rows),
    )


@bp.route("/studio/products/new", methods=["GET", "POST"])
def studio_product_new():
    _seller()
    return _product_form(None)


@bp.route("/studio/products/<int:product_id>/edit", methods=["GET", "POST"])
def studio_product_edit(product_id: int):
    _seller()
    return _product_form(_own(Product, product_id))


def _product_form(product: Product | None):
    sold = product is not None and db.session.scalar(
        sa.select(Order.id).where(Order.product_id == product.id).limit(1)
    ) is not None
    # After the first order the product's currency is part of its orders; before, it follows the site's.
    currency = product.currency if sold else site_currency()
    shown = None
    if product is not None:
        shown = {
            "name": product.name, "description": product.description, "kind": product.kind,
            "period_days": product.period_days, "active": product.active,
            "price": amount_text(product.price_minor, product.currency),
        }
    form = ProductForm(data=shown)
    form.currency = currency
    cover = covers.from_form(form) if form.validate_on_submit() else None
    if form.errors or not form.is_submitted():
        return render(
            "commerce/studio/product_form.html", status=422 if form.is_submitted() else 200,
            form=form, product=product, currency=currency,
        )
    values = {
        "name": form.name.data.strip(), "description": form.description.data or "", "kind": form.kind.data,
        "period_days": form.period_days.data if form.kind.data == "membership" else None,
        "price_minor": form.price_minor, "currency": currency, "active": form.active.data,
    }
    if product is None:
        product = Product(creator_id=current_user.id)
        _apply(product, values, "product.created")
        flash(_("The product is created."), "success")
    else:
        _apply(product, values, "product.updated")
        flash(_("The product is saved."), "success")
    covers.apply(product, form, cover)
    db.session.commit()
    return redirect(url_for("commerce.studio_products"))


# Coupons

@bp.route("/studio/coupons")
def studio_coupons():
    """The creator's coupons, newest first (an admin's: everyone's)."""
    everyone = _seller()
    listing = _listing(Coupon, "commerce.studio_coupons", everyone)
    products = dict(db.session.execute(
        sa.select(Product.id, Product.name).where(Product.id.in_({c.product_id for c in listing.rows}))
    ).all())
    return render(
        "commerce/studio/coupons.html", "commerce/studio/_coupons.html", listing=listing, everyone=everyone,
        creators=_names(c.creator_id for c in listing.rows), products=products, zone=site_zone(),
    )


@bp.route("/studio/coupons/new", methods=["GET", "POST"])
def studio_coupon_new():
    _seller()
    return _coupon_form(None)


@bp.route("/studio/coupons/<int:coupon_id>/edit", methods=["GET", "POST"])
def studio_coupon_edit(coupon_id: int):
    _seller()
    return _coupon_form(_own(Coupon, coupon_id))


@bp.route("/studio/coupons/<int:coupon_id>/deactivate", methods=["POST"])
def studio_coupon_deactivate(coupon_id: int):
    _seller()
    coupon = _own(Coupon, coupon_id)
    _apply(coupon, {"active": False}, "coupon.deactivated")
    db.session.commit()
    flash(_("Coupon %(code)s can no longer be used.", code=coupon.code), "success")
    return redirect(url_for("commerce.studio_coupons"))


def _scope_choices(owner: User) -> list[SelectChoice]:
    """The products a coupon of ``owner``'s may name: their own (an admin's: any)."""
    query = sa.select(Product.id, Product.name).order_by(Product.name, Product.id)
    if not owner.is_admin:
        query = query.where(Product.creator_id == owner.id)
    any_label = _l("Any product") if owner.is_admin else _l("Any of my products")
    return [SelectChoice("", any_label), *(SelectChoice(str(pid), name) for pid, name in db.session.execute(query))]


def _coupon_form(coupon: Coupon | None):
    owner = current_user if coupon is None else db.session.get(User, coupon.creator_id)
    zone = site_zone()
    form = CouponForm(data=None if coupon is None else _coupon_values(coupon, zone))
    form.currency, form.coupon_id = site_currency(), getattr(coupon, "id", None)
    form.product_id.choices = _scope_choices(owner)
    valid = form.validate_on_submit()
    cap = form.max_redemptions.data
    if valid and coupon is not None and cap is not None and cap < coupon.used:
        form.max_redemptions.errors.append(_("%(n)s uses are already taken; the limit cannot be lower.", n=coupon.used))
        valid = False
    if valid:
        values = {
            "code": form.code.data, "kind": form.kind.data, "value": form.value_minor,
            "valid_from": _day_start(form.valid_from.data, zone),
            "valid_until": _day_start(form.valid_until.data and form.valid_until.data + timedelta(days=1), zone),
            "max_redemptions": cap, "per_member": form.per_member.data,
            "product_id": int(form.product_id.data) if form.product_id.data else None, "active": form.active.data,
        }
        try:
            with db.session.begin_nested():
                if coupon is None:
                    _apply(Coupon(creator_id=current_user.id, used=0), values, "coupon.created")
                else:
                    _apply(coupon, values, "coupon.updated")
        except sa.exc.IntegrityError:  # another coupon took the code since the form was checked
            form.code.errors = [_("Another coupon has this code.")]
        else:
            db.session.commit()
            flash(_("Coupon %(code)s is saved.", code=values["code"]), "success")
            return redirect(url_for("commerce.studio_coupons"))
    return render(
        "commerce/studio/coupon_form.html", status=422 if form.is_submitted() else 200,
        form=form, coupon=coupon, currency=site_currency(),
    )


def _coupon_values(coupon: Coupon, zone: ZoneInfo) -> dict:
    """The coupon as its form shows it: amounts as typed, dates as days in the site's zone."""
    last_instant = coupon.valid_until and coupon.valid_until.astimezone(zone) - timedelta(microseconds=1)
    return {
        "code": coupon.code, "kind": coupon.kind, "max_redemptions": coupon.max_redemptions,
        "per_member": coupon.per_member, "active": coupon.active,
        "product_id": "" if coupon.product_id is None else str(coupon.product_id),
        "value": str(coupon.value) if coupon.kind == "percent" else amount_text(coupon.value, site_currency()),
        "valid_from": coupon.valid_from and coupon.valid_from.astimezone(zone).date(),
        "valid_until": last_instant and last_instant.date(),
    }


def _day_start(day: date | None, zone: ZoneInfo) -> datetime | None:
    """Midnight at the start of ``day`` in the site's time zone."""
    return None if day is None else datetime.combine(day, time(), tzinfo=zone)
