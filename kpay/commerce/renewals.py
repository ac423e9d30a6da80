"""Renewal reminders: members whose membership ends within ``renewal_reminder_days`` are told
once (by their notification settings, kind ``purchases``), with a coupon of their own when
``renewal_coupon_percent`` is set. A membership already renewed is not reminded."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import Coupon, Entitlement, EntitlementStatus, Product
from kpay.notifications.service import notify
from kpay.transactions import insert_once

log = logging.getLogger("kpay.commerce")


def send_renewal_reminders() -> int:
    """The sweep: remind every member whose membership ends soon; returns how many were due."""
    settings = current_app.config["KPAY"]["commerce"]
    if not settings["renewal_reminder_days"]:
        return 0
    if not current_app.config.get("SERVER_NAME"):
        log.warning("renewal reminders wait: set site_url so their links can be built")
        return 0
    now = utcnow()
    later = sa.orm.aliased(Entitlement)
    renewed = sa.exists().where(
        later.user_id == Entitlement.user_id, later.product_id == Entitlement.product_id,
        later.status == EntitlementStatus.ACTIVE, later.ends_at > Entitlement.ends_at,
    )
    due = db.session.execute(
        sa.select(Entitlement, Product, User)
        .join(Product, Product.id == Entitlement.product_id)
        .join(User, User.id == Entitlement.user_id)
        .where(
            Entitlement.status == EntitlementStatus.ACTIVE, Entitlement.ends_at > now,
            Entitlement.ends_at <= now + timedelta(days=settings["renewal_reminder_days"]),
            User.status == "active", ~renewed,
        )
    ).all()
    for entitlement, product, member in due:
        code = _renewal_coupon(entitlement, product, settings["renewal_coupon_percent"])
        with force_locale(member.locale or current_app.config["KPAY"]["default_locale"]):
            text = _("Your membership of %(product)s ends on %(date)s. Renew it to keep access.",
                     product=product.name, date=format_date(entitlement.ends_at, "long"))
            if code:
                text += " " + _("Use the code %(code)s for %(percent)s%% off.",
                                code=code, percent=settings["renewal_coupon_percent"])
        notify(member, "purchases", text, url_for("commerce.product", product_id=product.id, _external=False),
               key=f"commerce:renewal:{entitlement.id}")
    db.session.commit()
    return len(due)


def _renewal_coupon(entitlement: Entitlement, product: Product, percent: int) -> str | None:
    """The member's own one-use coupon for renewing ``entitlement`` (made once), or None."""
    if not percent:
        return None
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, f"renewal:{entitlement.id}".encode(), hashlib.sha256).hexdigest()
    code = f"RENEW-{digest[:10].upper()}"
    insert_once(
        Coupon, ("code",), code=code, creator_id=product.creator_id, kind="percent", value=percent,
        product_id=product.id, valid_until=entitlement.ends_at + timedelta(days=30), max_redemptions=1,
        per_member=1, used=0, active=True, created_at=utcnow(),
    )
    return code
