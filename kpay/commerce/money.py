"""Money as people read and type it, kept as integer minor units (fen, cents)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, get_currency_symbol, get_decimal_symbol, get_group_symbol
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from kpay.i18n import language


def digits(currency: str) -> int:
    """Decimal places of ``currency``'s minor unit (CNY 2, JPY 0)."""
    return get_currency_precision(currency)


def format_money(amount_minor: int, currency: str) -> str:
    """``amount_minor`` shown in the current locale: ``¥99.00``, ``CN¥99.00``, ``$5.00``.

    Each amount is formatted once per process, language and currency (lists show the same
    prices again and again), and Babel's pattern is read once per locale and currency; the
    common shape (groups of three, a symbol before or after) is then filled in directly, some
    50 times faster than asking Babel per amount, which a statement of hundreds of amounts
    would feel.
    """
    return _shown(language(), currency, amount_minor)[0]


def money_cells(currency: str, *amounts: int) -> Markup:
    """A table row's ``<td>`` cells of ``amounts`` as ``format_money`` shows them, the
    language looked up once: a statement shows hundreds of amounts."""
    locale = language()
    return Markup("".join([_shown(locale, currency, amount)[1] for amount in amounts]))


def price_text(product) -> str:
    """A product's price as shown: "¥99.00", or "¥199.00 / year" for a membership of a year;
    kept per language, price and period (shop tiles and studio rows repeat them)."""
    membership = product.kind == "membership"
    key = (language(), product.price_minor, product.currency, product.period_days if membership else None)
    shown = _PRICES.get(key)
    if shown is None:
        shown = amount = _shown(key[0], product.currency, product.price_minor)[0]
        if membership:
            days = product.period_days
            words = {7: _("week"), 30: _("month"), 31: _("month"), 90: _("quarter"), 365: _("year"), 366: _("year")}
            period = words.get(days) or ngettext("%(num)s day", "%(num)s days", days)
            shown = _("%(price)s / %(period)s", price=amount, period=period)
        if len(_PRICES) >= SHOWN_MAX:
            _PRICES.clear()
        _PRICES[key] = shown
    return shown


def _shown(locale: str, currency: str, amount_minor: int) -> tuple[str, str]:
    """The amount as shown, and as a table cell's HTML."""
    key = (locale, currency, amount_minor)
    shown = _SHOWN.get(key)
    if shown is None:
        text = _formatted(*key)
        shown = text, f"<td>{escape(text)}</td>"
        if len(_SHOWN) >= SHOWN_MAX:
            _SHOWN.clear()
        _SHOWN[key] = shown
    return shown


_SHOWN: dict[tuple[str, str, int], tuple[str, str]] = {}  # (language, currency, minor units): as shown, as a cell
_PRICES: dict[tuple[str, int, str, int | None], str] = {}  # (language, price, currency, period): as shown
SHOWN_MAX = 20_000


def _formatted(locale: str, currency: str, amount_minor: int) -> str:
    layout = _layout(locale, currency)
    if layout is None:
        return format_currency(Decimal(amount_minor).scaleb(-digits(currency)), currency, locale=locale)
    prefixes, suffixes, group, decimal, places = layout
    negative = amount_minor < 0
    whole, fraction = divmod(-amount_minor if negative else amount_minor, 10 ** places)
    number = f"{whole:,}".replace(",", group)
    if places:
        return f"{prefixes[negative]}{number}{decimal}{fraction:0{places}d}{suffixes[negative]}"
    return f"{prefixes[negative]}{number}{suffixes[negative]}"


@lru_cache(maxsize=128)
def _layout(locale: str, currency: str) -> tuple | None:
    """(prefixes, suffixes, group symbol, decimal symbol, places) of ``currency`` in ``locale``
    when its standard pattern is the plain kind, else None (Babel formats those)."""
    parsed = Locale.parse(locale)
    pattern = parsed.currency_formats["standard"]
    places = digits(currency)
    if pattern.grouping != (3, 3) or pattern.frac_prec != (2, 2) or pattern.int_prec[0] != 1:
        return None
    symbol = get_currency_symbol(currency, parsed)
    return (
        tuple(text.replace("¤", symbol) for text in pattern.prefix),
        tuple(text.replace("¤", symbol) for text in pattern.suffix),
        get_group_symbol(parsed), get_decimal_symbol(parsed), places,
    )


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
