"""pay_stripe: card payments through Stripe Checkout.

The member is sent to a Checkout Session priced from the order; Stripe's signed webhook
(``POST /pay_stripe/webhook``) marks the order paid and records refunds made in Stripe; an
admin's refund goes back through Stripe's API. Set ``secret_key`` and ``webhook_secret`` in
``[plugins.pay_stripe]`` (docs/stripe.md); without a secret key the provider is not offered.
"""

from flask_babel import lazy_gettext as _l

from kpay.api import PaymentProvider, Setting, hookimpl

__version__ = "1.0"


@hookimpl
def kpay_config_defaults():
    return {
        "secret_key": Setting(
            "", "Secret API key (sk_live_... or sk_test_...); empty: Stripe is not offered.", field="secret"
        ),
        "webhook_secret": Setting(
            "", "Signing secret of the webhook endpoint (whsec_...); while rolling it, the new and "
            "the old one separated by a comma.", field="secret",
        ),
    }


@hookimpl
def kpay_init_app(app):
    from plugins.pay_stripe import payments

    values = app.config["KPAY"]["plugins"]["pay_stripe"]
    payments.check_settings(values)
    if values["secret_key"]:
        app.after_request(payments.allow_checkout_redirect)


@hookimpl
def kpay_payment_providers():
    from plugins.pay_stripe import payments

    if not payments.settings()["secret_key"]:
        return []
    return [PaymentProvider(
        "stripe", _l("Card (Stripe)"), payments.start, order=10,
        description=_l("Pay by card on Stripe's secure payment page."), refund=payments.refund,
    )]


@hookimpl
def kpay_blueprints():
    from plugins.pay_stripe.webhook import bp

    return [bp]
