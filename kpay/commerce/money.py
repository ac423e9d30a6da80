"""Money as people read and type it, kept as integer minor units (fen, cents)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_currency_precision
from flask_babel import format_currency


def digits(currency: str) -> int:
    """Decimal places of ``currency``'s minor unit (CNY 2, JPY 0)."""
    return get_currency_precision(currency)


def format_money(amount_minor: int, currency: str) -> str:
    """``amount_minor`` shown in the current locale: ``¥99.00``, ``CN¥99.00``, ``$5.00``."""
    return format_currency(Decimal(amount_minor).scaleb(-digits(currency)), currency)


def amount_text(amount_minor: int, currency: str) -> str:
    """``amount_minor`` as it is typed into a form: ``9900`` CNY is ``99.00``."""
    return str(Decimal(amount_minor).scaleb(-digits(currency)))


def parse_money(text: str, currency: str) -> int | None:
    """Minor units from what someone typed (``"99"``, ``"99.5"``, ``"1,299.00"``), or None when
    it is not an amount of ``currency`` (negative, too many decimals, not a number)."""
    cleaned = (text or "").strip().replace(",", "").replace("¥", "").replace("$", "")
    try:
        value = Decimal(cleaned)
        if not value.is_finite() or value < 0 or value.adjusted() > 15:
            return None
        minor = value.scaleb(digits(currency))
    except ArithmeticError:  # not a number at all ("abc", "sNaN")
        return None
    if minor != minor.to_integral_value():
        return None
    return int(minor)
