"""KPay: a self-hosted platform for paid-knowledge communities."""

from kpay.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
