"""Amounts shown in each language read exactly as Babel writes them, however they are made."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale, format_currency

from kpay.commerce.money import digits, format_money


@pytest.mark.parametrize("locale", ["en", "zh_Hans_CN", "de", "fr", "hi", "ar"])
def test_format_money_matches_babel_in_every_language(app, locale):
    with app.test_request_context("/"), force_locale(locale):
        for currency in ("CNY", "USD", "JPY", "EUR", "KWD"):
            for amount in (0, 1, -1, 99, 100, 12345, -12345, 100_000, 123_456_789, -987_654_321_012):
                expected = format_currency(Decimal(amount).scaleb(-digits(currency)), currency)
                assert format_money(amount, currency) == expected, (locale, currency, amount)


def test_an_amount_kept_once_formatted_follows_the_language(app):
    with app.test_request_context("/"):
        shown = {}
        for _ in range(2):  # the second round reads what the first kept
            for locale in ("en", "zh_Hans_CN", "de", "hi"):
                with force_locale(locale):
                    expected = format_currency(Decimal("-1234567.89"), "CNY")
                    assert format_money(-123456789, "CNY") == expected
                    shown.setdefault(locale, expected)
        assert len(set(shown.values())) == 4
