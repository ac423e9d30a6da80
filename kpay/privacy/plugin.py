"""Download my data and delete my account, registered like any plugin."""

from kpay.hookspecs import hookimpl
from kpay.types import Schedule


@hookimpl
def kpay_blueprints():
    from kpay.privacy.views import bp

    return [bp]


@hookimpl
def kpay_schedules():
    from kpay.privacy.exports import remove_expired_exports

    return [Schedule("privacy.remove_expired_exports", remove_expired_exports, minutes=60)]
