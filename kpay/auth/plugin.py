"""The core's accounts feature, registered like any plugin."""

from kpay.hookspecs import hookimpl


@hookimpl
def kpay_blueprints():
    from kpay.auth import recovery, security  # noqa: F401 (their routes join the blueprint)
    from kpay.auth.views import bp

    return [bp]
