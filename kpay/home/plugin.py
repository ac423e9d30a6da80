"""The core's home page and health checks, registered like any plugin."""

from flask_babel import lazy_gettext as _l

from kpay.hookspecs import hookimpl
from kpay.types import NavItem


@hookimpl
def kpay_blueprints():
    from kpay.home import look  # noqa: F401 (its routes join the blueprint)
    from kpay.home.views import bp

    return [bp]


@hookimpl
def kpay_nav_items(user):
    items = [NavItem(_l("Home"), "home.index", order=0, icon="home")]
    if user.is_authenticated:
        items.append(NavItem(_l("My learning"), "home.learning", order=5, icon="book"))
    return items
