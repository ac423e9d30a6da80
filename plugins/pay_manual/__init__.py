"""pay_manual: payment by an offline transfer (bank, WeChat Pay or Alipay QR code).

The member reads the site's instructions and account details, scans the QR image if there is
one, transfers the money and types the transfer's reference; the order then waits for an
admin, who confirms or rejects it in the console (Admin → Orders). The provider is offered
only once ``instructions`` are set.
"""

from flask import redirect, url_for
from flask_babel import lazy_gettext as _l

from kpay.api import PaymentProvider, Setting, hookimpl

__version__ = "1.0"


def start(order):
    return redirect(url_for("pay_manual.pay", order_id=order.id))


@hookimpl
def kpay_config_defaults():
    return {
        "instructions": Setting(
            "", "How to pay, in markdown, shown to the member; empty: the provider is not offered.",
            field="textarea",
        ),
        "account_details": Setting(
            [], "Lines shown as written: [\"Bank: ...\", \"Account name: ...\", \"Account number: ...\"]."
        ),
        "qr_image": Setting(
            "", "File name of a payment QR code (PNG, JPEG, GIF or WebP) in the instance folder.",
            field="image",
        ),
    }


@hookimpl
def kpay_init_app(app):
    from plugins.pay_manual.transfers import check_settings

    check_settings(app)


@hookimpl
def kpay_payment_providers():
    from plugins.pay_manual.transfers import settings

    if not settings()["instructions"].strip():
        return []
    return [PaymentProvider(
        "manual", _l("Bank or QR transfer"), start, order=200,
        description=_l("Transfer the money yourself, then tell us its reference; an admin confirms it."),
    )]


@hookimpl
def kpay_blueprints():
    from plugins.pay_manual.views import bp

    return [bp]
