"""Commerce in the core: products, checkout, entitlements, coupons, refunds and the money
ledger; payment providers are plugins. Plugins ask ``can_access`` about their paid content."""

from kpay.commerce.access import can_access

__all__ = ["can_access"]
