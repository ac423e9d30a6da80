"""Commerce, registered like any plugin: checkout and purchases pages, the creator studio,
revenue statements and payouts, ``kpay commerce reconcile``, the order sweep,
the purchases notification kind, members' commerce data and the demo shop."""

from flask_babel import lazy_gettext as _l

from kpay.hookspecs import hookimpl
from kpay.permissions import can
from kpay.types import NavItem, NotificationKind, Permission, Schedule


@hookimpl
def kpay_blueprints():
    from kpay.commerce import payouts, revenue, studio  # noqa: F401 (their routes join the blueprint)
    from kpay.commerce.views import bp

    return [bp]


@hookimpl
def kpay_cli(cli):
    from kpay.commerce.days import fill_days_command
    from kpay.commerce.reconcile import commerce_cli

    commerce_cli.add_command(fill_days_command)
    cli.add_command(commerce_cli)


@hookimpl
def kpay_init_app(app):
    from kpay.commerce import money, providers, status

    with app.app_context():
        providers.check(providers.providers(), app.config["KPAY"]["env"])
    app.jinja_env.filters["money"] = money.format_money
    app.jinja_env.globals.update(money_cells=money.money_cells, price_text=money.price_text)
    app.jinja_env.globals["order_status_words"] = status.status_words


@hookimpl
def kpay_permissions():
    return [
        Permission("commerce.sell", _l("Create products and coupons for one's own work"), ("owner", "admin", "creator")),
        Permission("commerce.manage", _l("See every order, refund, confirm payments, record payouts")),
    ]


@hookimpl
def kpay_nav_items(user):
    items = [NavItem(_l("Shop"), "commerce.shop", order=400, icon="bag")]
    if can("commerce.sell", user):
        items.append(NavItem(_l("Studio"), "commerce.studio_products", order=410, icon="edit"))
    return items


@hookimpl
def kpay_notification_kinds():
    return [NotificationKind("purchases", _l("Purchases and memberships"), "email", order=20)]


@hookimpl
def kpay_schedules():
    from kpay.commerce.days import keep_days_in_site_zone
    from kpay.commerce.orders import expire_unpaid
    from kpay.commerce.renewals import send_renewal_reminders

    return [
        Schedule("commerce.expire_unpaid", expire_unpaid, minutes=1),
        Schedule("commerce.renewal_reminders", send_renewal_reminders, minutes=60),
        Schedule("commerce.keep_days", keep_days_in_site_zone, minutes=15),
    ]


@hookimpl
def kpay_user_data(user, action):
    from kpay.commerce.records import erase_member_references, member_records

    if action == "export":
        return member_records(user)
    erase_member_references(user)
    return None


@hookimpl
def kpay_demo_data():
    from kpay.commerce.demo import build

    build()
