"""Telling members and the site's commerce managers about orders, each in their own language."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from kpay.extensions import db
from kpay.models import User
from kpay.notifications.service import notify

KIND = "purchases"


def tell(user: User, message, url: str, key: str) -> None:
    """Notify ``user`` (kind ``purchases``, once per ``key``) of ``message``, a lazy string
    rendered in their language, linking to ``url`` (a path on this site)."""
    notify(user, KIND, message, url, key=key)


def tell_managers(message, url: str, key: str) -> int:
    """``tell`` every active member who holds ``commerce.manage``; returns how many."""
    roles = current_app.extensions["kpay"].permissions["commerce.manage"].roles
    managers = db.session.scalars(
        sa.select(User).where(User.role.in_(roles), User.status == "active").order_by(User.id)
    ).all()
    for manager in managers:
        tell(manager, message, url, key)
    return len(managers)
