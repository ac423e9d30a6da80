"""Notifications and e-mail digests, registered like any plugin."""

from flask_babel import lazy_gettext as _l

from kpay.hookspecs import hookimpl
from kpay.types import NotificationKind, Schedule


@hookimpl
def kpay_blueprints():
    from kpay.notifications.views import bp

    return [bp]


@hookimpl
def kpay_init_app(app):
    from kpay.notifications.service import unread_for_current_user
    from kpay.notifications.views import bell

    app.jinja_env.globals.update(unread_notifications=unread_for_current_user, notification_bell=bell)


@hookimpl
def kpay_notification_kinds():
    return [NotificationKind("account", _l("Account and security"), "email", order=10)]


@hookimpl
def kpay_schedules():
    from kpay.notifications.digest import send_due_digests

    return [Schedule("notifications.digest", send_due_digests, minutes=15)]
