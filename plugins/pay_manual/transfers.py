"""Offline transfers: the site's instructions and QR image, and a member's reference.

A member who has transferred the money gives its reference; the order moves from ``pending``
to ``awaiting_confirmation`` (which the unpaid-order sweep leaves alone) and the site's
commerce managers are told. Confirming or rejecting happens in the admin console.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app, url_for
from flask_babel import lazy_gettext as _l

from kpay.api import (
    ConfigError, Order, Product, User, db, mark_awaiting_confirmation, notify_commerce_managers,
)

log = logging.getLogger("kpay.pay_manual")
PROVIDER = "manual"
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}


def settings(app: Flask | None = None) -> dict:
    return (app or current_app).config["KPAY"]["plugins"]["pay_manual"]


def check_settings(app: Flask) -> None:
    """Stop start-up on a QR image setting that is not an image's file name; warn when the
    file is missing (the page then shows no QR code)."""
    name = settings(app)["qr_image"]
    if not name:
        return
    if Path(name).name != name or name.startswith(".") or Path(name).suffix.lower() not in IMAGE_TYPES:
        raise ConfigError(
            f"plugins.pay_manual.qr_image: expected the name of a .png, .jpg, .gif or .webp file "
            f"in the instance folder, got {name!r}"
        )
    if not (Path(app.instance_path) / name).is_file():
        log.warning("plugins.pay_manual.qr_image: %s is not in %s; no QR code is shown", name, app.instance_path)


def qr_image() -> tuple[Path, str] | None:
    """The QR image's path and content type, or None when there is none."""
    name = settings()["qr_image"]
    path = Path(current_app.instance_path) / name
    if not name or not path.is_file():
        return None
    return path, IMAGE_TYPES[path.suffix.lower()]


def submit_reference(order: Order, member: User, reference: str) -> bool:
    """Record the member's ``reference`` for a pending manual order and tell the managers;
    False when the order is no longer waiting for one (paid, expired, cancelled, or a
    reference was given already). The caller commits."""
    if order.provider != PROVIDER or not mark_awaiting_confirmation(order, member, reference):
        return False
    product = db.session.get(Product, order.product_id)
    notify_commerce_managers(
        _l("Order %(id)s (%(product)s) waits for you to confirm a transfer: %(reference)s",
           id=order.id, product=product.name, reference=reference),
        url_for("admin.order", order_id=order.id), key=f"pay_manual:awaiting:{order.id}",
    )
    return True
