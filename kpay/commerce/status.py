"""An order's status in words, for the filters' choices and for every page that shows orders."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from kpay.models.commerce import OrderStatus

STATUS_LABELS = {
    OrderStatus.PENDING: _l("Waiting for payment"),
    OrderStatus.AWAITING_CONFIRMATION: _l("Waiting for the payment to be confirmed"),
    OrderStatus.PAID: _l("Paid"),
    OrderStatus.EXPIRED: _l("Expired unpaid"),
    OrderStatus.CANCELLED: _l("Cancelled"),
    OrderStatus.REFUNDED: _l("Refunded"),
}


def status_words() -> dict[str, str]:
    """Each order status's words in the request's language (the templates' ``order_status_words``),
    translated once per process and language: a list of orders looks each row's up in it."""
    return _translated(str(get_locale()))


@lru_cache(maxsize=16)
def _translated(language: str) -> dict[str, str]:
    return {status.value: str(label) for status, label in STATUS_LABELS.items()}
