"""The payment providers the enabled plugins offer (``kpay_payment_providers``)."""

from __future__ import annotations

from kpay.config import ConfigError
from kpay.plugins import hook
from kpay.types import PaymentProvider


def providers() -> list[PaymentProvider]:
    """Every offered provider, in display order."""
    found = [p for group in hook().kpay_payment_providers() for p in group or ()]
    return sorted(found, key=lambda p: (p.order, p.name))


def provider(name: str) -> PaymentProvider | None:
    """The provider called ``name``, if an enabled plugin offers it."""
    return next((p for p in providers() if p.name == name), None)


def check(found: list[PaymentProvider], env: str) -> None:
    """Stop start-up on two providers with one name, or a test provider in production."""
    names = [p.name for p in found]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"plugins.enabled: two plugins offer the payment provider {name!r}")
    if env == "production":
        for p in found:
            if p.test_mode:
                raise ConfigError(
                    f"plugins.enabled: the payment provider {p.name!r} takes no real money and "
                    "cannot run when env = 'production'; disable its plugin"
                )
