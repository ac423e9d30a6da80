"""KPay: a self-hosted platform for paid-knowledge communities."""

from kpay.hookspecs import hookimpl

__version__ = "0.1.0"

from kpay.notifications.service import notify  # noqa: E402 (its imports need __version__)

__all__ = ["__version__", "hookimpl", "notify"]
