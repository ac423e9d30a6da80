"""Capabilities by role: the core's own and those plugins declare through ``kpay_permissions``.

The operator may narrow (or widen) a permission's roles in ``[permissions]`` of kpay.toml;
plugins may grant a permission to a member beyond their role through ``kpay_permission_grants``.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Flask, abort, current_app, g
from flask_login import current_user

from kpay.config import ConfigError
from kpay.extensions import login_manager
from kpay.models.users import ROLES
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
    """True when ``user`` (default: the current user) holds permission ``name``: by role, or
    by a plugin's grant (``kpay_permission_grants``) when the role does not hold it.

    Unknown permissions are refused: deny by default.
    """
    user = current_user._get_current_object() if user is None else user
    if not user.is_authenticated:
        return False
    state = current_app.extensions["kpay"]
    permission = state.permissions.get(name)
    if permission is None:
        return False
    return user.role in permission.roles or any(state.pm.hook.kpay_permission_grants(user=user, name=name))


def granted() -> tuple[str, ...]:
    """The permissions the current user holds by a plugin's grant and not by role, asked once
    per request: what the layout kept per role (navigation, header) depends on besides it."""
    found = g.get("kpay_granted")
    if found is None:
        found = ()
        user = current_user._get_current_object()  # once: the proxy costs µs a use
        if user.is_authenticated:
            state = current_app.extensions["kpay"]
            ask = state.pm.hook.kpay_permission_grants
            if ask.get_hookimpls():
                found = tuple(name for name, permission in state.permissions.items()
                              if user.role not in permission.roles and any(ask(user=user, name=name)))
        g.kpay_granted = found
    return found


def require(name: str) -> None:
    """Abort with 403 (or send an anonymous visitor to log in) unless the user can ``name``."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not can(name):
        abort(403)


def declared_permissions(app: Flask) -> dict[str, Permission]:
    """Every permission of ``app`` by name, with the roles the core or its plugin declares,
    before the operator's ``[permissions]`` (for a check that needs the author's intent)."""
    return app.extensions["kpay"].declared_permissions


def init_app(app: Flask) -> None:
    """Build the app's permission table from the core's and the plugins' declarations, with
    the roles the operator set in ``[permissions]`` (a ``ConfigError`` names a bad key)."""
    table = {p.name: p for p in CORE_PERMISSIONS}
    for group in app.extensions["kpay"].pm.hook.kpay_permissions():
        for permission in group or ():
            table[permission.name] = permission
    app.extensions["kpay"].declared_permissions = dict(table)
    for name, roles in app.extensions["kpay"].config["permissions"].items():
        if name not in table:
            raise ConfigError(f"permissions.{name}: unknown permission (known: {', '.join(sorted(table))})")
        unknown = [role for role in roles if role not in ROLES]
        if unknown:
            raise ConfigError(f"permissions.{name}: unknown role {unknown[0]!r} (roles: {', '.join(ROLES)})")
        table[name] = replace(table[name], roles=tuple(roles))
    app.extensions["kpay"].permissions = table
