"""The admin console, registered like any plugin."""

from flask_babel import lazy_gettext as _l

from kpay.hookspecs import hookimpl
from kpay.permissions import can
from kpay.types import NavItem


@hookimpl
def kpay_blueprints():
    from kpay.admin import audit_log, backups, members, settings  # noqa: F401 (their routes join the blueprint)
    from kpay.admin.views import bp
    from kpay.commerce import admin as commerce_admin  # noqa: F401 (the orders console)

    return [bp]


@hookimpl
def kpay_nav_items(user):
    if can("admin.access", user):
        return [NavItem(_l("Admin"), "admin.index", order=1000, icon="settings")]
    return []
