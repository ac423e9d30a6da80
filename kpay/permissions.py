"""Capabilities by role: the core's own and those plugins declare through ``kpay_permissions``."""

from __future__ import annotations

from flask import Flask, abort, current_app
from flask_login import current_user

from kpay.extensions import login_manager
from kpay.types import Permission

CORE_PERMISSIONS = (
    Permission("admin.access", "Open the admin console", ("owner", "admin")),
    Permission("plugins.view", "See installed plugins and their hooks", ("owner", "admin")),
    Permission("jobs.view", "See the job outbox and failed jobs", ("owner", "admin")),
    Permission("members.manage", "Find members; change their role, disable or ban them", ("owner", "admin")),
    Permission("audit.view", "Read the audit log", ("owner", "admin")),
    Permission("site.configure", "Change the site's settings, plugins and payment providers", ("owner",)),
)


def can(name: str, user=None) -> bool:
    """True when ``user`` (default: the current user) holds permission ``name``.

    Unknown permissions are refused: deny by default.
    """
    user = current_user if user is None else user
    if not user.is_authenticated:
        return False
    permission = current_app.extensions["kpay"].permissions.get(name)
    return permission is not None and user.role in permission.roles


def require(name: str) -> None:
    """Abort with 403 (or send an anonymous visitor to log in) unless the user can ``name``."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not can(name):
        abort(403)


def init_app(app: Flask) -> None:
    """Build the app's permission table from the core's and the plugins' declarations."""
    table = {p.name: p for p in CORE_PERMISSIONS}
    for group in app.extensions["kpay"].pm.hook.kpay_permissions():
        for permission in group or ():
            table[permission.name] = permission
    app.extensions["kpay"].permissions = table
