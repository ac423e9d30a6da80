"""pay_sandbox: a clearly labelled test checkout that takes no money, for demos and development.

The member sees a page saying so, with "Pay (test)" and "Cancel" buttons; paying marks the
order paid through the same ``mark_paid`` as a real provider. A site whose ``env`` is
``production`` refuses to start with this plugin enabled.
"""

from flask import redirect, url_for
from flask_babel import lazy_gettext as _l

from kpay.api import PaymentProvider, hookimpl

__version__ = "1.0"


def start(order):
    return redirect(url_for("pay_sandbox.checkout", order_id=order.id))


@hookimpl
def kpay_payment_providers():
    return [PaymentProvider(
        "sandbox", _l("Test payment (no money is taken)"), start, order=900,
        description=_l("For trying the site: the order is paid without any money changing hands."),
        test_mode=True,
    )]


@hookimpl
def kpay_blueprints():
    from plugins.pay_sandbox.views import bp

    return [bp]
