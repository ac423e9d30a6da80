"""Choosing the language and time zone of a request, and where translations are found.

Language: the member's own setting, else the visitor's choice in this session (the footer
form), else the first language in the browser's ``Accept-Language`` list that the site speaks,
else the site's ``default_locale``. Time zone: the member's, else the site's.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path

import pytz
from babel import Locale, dates, support
from flask import Flask, current_app, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import format_datetime, get_babel, get_locale, get_timezone, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2.nodes import EvalContext
from jinja2.utils import pass_eval_context
from markupsafe import Markup
from wtforms.i18n import messages_path

from kpay.config import LOCALES
from kpay.extensions import babel, login_manager

# Flask-Login flashes this when a visitor opens a members-only page; its own text is English only.
LOGIN_MESSAGE = _l("Please log in to access this page.")


def select_locale() -> str:
    """The member's language, else the visitor's choice, the browser's, the site default."""
    default = current_app.config["KPAY"]["default_locale"]
    if not has_request_context():
        # Jobs and commands render e-mails with an app context only; they pass the member's
        # locale through ``flask_babel.force_locale``.
        return default
    if current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    if session.get("locale") in LOCALES:
        return session["locale"]
    return browser_locale(request.accept_languages) or default


def browser_locale(accepted: Iterable[tuple[str, float]]) -> str | None:
    """The site's locale for the browser's most preferred language that the site speaks.

    The browser's list is walked in order of preference, so ``en-US, zh-CN;q=0.9`` gives
    English: Werkzeug's ``best_match`` would prefer the exact ``zh-CN`` over ``en-US``'s
    primary-tag match.
    """
    for tag, quality in accepted:
        if quality > 0:
            locale = locale_for_tag(tag)
            if locale is not None:
                return locale
    return None


def locale_for_tag(tag: str) -> str | None:
    """The site's locale for one browser language tag, or None when the site lacks it.

    An exact match wins (``zh-CN`` is ``zh_CN``); otherwise the primary language decides:
    ``en-GB`` is ``en``, and every Chinese tag (``zh``, ``zh-Hans``, ``zh-SG``, and also the
    Traditional ``zh-TW``, ``zh-HK``, ``zh-Hant``) is ``zh_CN``. A reader of Traditional
    Chinese reads Simplified far more easily than English, and the footer switches in one
    click. Add a ``zh_TW`` catalog to ``LOCALES`` and ``zh-TW`` finds it by exact match.
    """
    wanted = tag.replace("_", "-").lower()
    by_tag = {locale.replace("_", "-").lower(): locale for locale in LOCALES}
    if wanted in by_tag:
        return by_tag[wanted]
    language = wanted.split("-", 1)[0]
    for locale in LOCALES:
        if locale.split("_", 1)[0].lower() == language:
            return locale
    return None


TIMEZONE_COOKIE = "kpay_tz"  # the browser's IANA zone, set by a page script; read only, never trusted beyond a name


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) & pytz.all_timezones_set


def select_timezone() -> str:
    """The member's IANA time zone when it is a known one, else the browser's (the ``kpay_tz``
    cookie, when it names a known zone), else the site's."""
    if has_request_context():
        if current_user.is_authenticated and current_user.timezone in pytz.all_timezones_set:
            return current_user.timezone
        if request.cookies.get(TIMEZONE_COOKIE, "") in _known_zones():
            return request.cookies[TIMEZONE_COOKIE]
    return current_app.config["KPAY"]["timezone"]


def add_translations(app: Flask, folder: str | Path) -> None:
    """Merge the ``messages`` catalogs in ``folder`` into ``app``'s translations.

    For a plugin that ships its own ``translations/<locale>/LC_MESSAGES/messages.mo``; call it
    from ``kpay_init_app``. The plugin's strings then translate through the core's ``_()`` in
    Python and in templates. Catalogs added later win for a msgid that both translate.
    """
    folder = str(Path(folder).resolve())
    directories = get_babel(app).translation_directories
    if folder not in directories:
        directories.append(folder)
        forget_loaded_catalogs()


def forget_loaded_catalogs() -> None:
    """Make the next request read the catalogs from disk again.

    Flask-Babel keeps the catalogs it has loaded for the life of the process, in its default
    domain (created on first use), whatever the app.
    """
    domain = vars(babel).get("domain_instance")
    if domain is not None:
        domain.cache.clear()
    TRANSLATED.clear()
    SHOWN.clear()
    _wtforms_catalog.cache_clear()


TRANSLATED: dict[tuple[str, str], str] = {}  # (language, message): its translation
SHOWN: dict[tuple[str, str, bool], str] = {}  # (language, message, autoescape?): as a template shows it
TRANSLATED_MAX = 20_000  # templates' messages are a fixed set; this only bounds a mistake


def language() -> str:
    """The request's locale as a string, for keys of what is kept per language: Flask-Babel's ``get_locale()``
    (which ``force_locale`` changes), made a string once per request and locale. A ``Locale``
    key would be compared field by field: each request parses a new one."""
    state = _babel_state()  # Flask-Babel's per-request namespace, where it keeps the locale
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        locale = get_locale()
        state = _babel_state()
    if state is None:
        return str(locale or "en")  # no request: no locale
    if getattr(state, "kpay_language_of", None) is not locale:
        state.kpay_language_of, state.kpay_language = locale, str(locale)
    return state.kpay_language


def zone() -> tzinfo:
    """The request's time zone, Flask-Babel's ``get_timezone()`` without its look-ups once known."""
    return getattr(_babel_state(), "babel_tzinfo", None) or get_timezone()


def _babel_state():
    """``g._flask_babel`` (None outside an app context or before Flask-Babel's first look-up),
    read from the context variable rather than through ``g``'s proxy, ten times cheaper: a
    list page asks for each label, amount and date."""
    context = _cv_app.get(None)
    return None if context is None else getattr(context.g, "_flask_babel", None)


def _translated(message: str) -> str:
    key = (language(), message)
    found = TRANSLATED.get(key)
    if found is None:
        found = get_translations().ugettext(message)
        if len(TRANSLATED) < TRANSLATED_MAX:
            TRANSLATED[key] = found
    return found


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, message: str, **variables) -> str:
    """Templates' ``_()``, ``gettext()`` and ``{% trans %}``, as Jinja's new-style gettext: the
    translation (``Markup`` in an autoescaped template) formatted with ``variables``, escaped.
    A translation is looked up once per process and language, and a message without variables
    is also formatted once: Jinja's wrappers and Flask-Babel's look-up walk their contexts on
    every call, and a page shows a few dozen labels."""
    autoescape = eval_ctx.autoescape
    if variables:
        found = _translated(message)
        return (Markup(found) if autoescape else found) % variables
    key = (language(), message, autoescape)
    shown = SHOWN.get(key)
    if shown is None:
        found = _translated(message)
        shown = (Markup(found) if autoescape else found) % {}
        if len(SHOWN) < TRANSLATED_MAX:
            SHOWN[key] = shown
    return shown


@functools.cache
def _wtforms_catalog(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class WTFormsMessages:
    """WTForms' own messages ("This field is required.") in the request's language, each
    catalog read once per process: Flask-WTF reads it from disk again on every request that
    makes a form, unless the request already carries one (``request.wtforms_translations``)."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


WTFORMS_MESSAGES = WTFormsMessages()


def datetimeformat(value, format: str | None = None) -> str:
    """Flask-Babel's ``datetimeformat`` filter, with the ``"short"`` form (one per row in lists of
    orders, members and notifications) put together from each day's date and each minute's
    time, formatted once per process and language: Babel's pattern walk per row cost lists
    more than their queries. Other forms go to Flask-Babel as they are."""
    if format != "short" or not isinstance(value, datetime) or _cv_app.get(None) is None:
        return format_datetime(value, format)
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    local = aware.astimezone(zone())
    name = language()
    return (_short_pattern(name).replace("{0}", _short_time(name, local.hour, local.minute))
            .replace("{1}", _short_date(name, local.date())))


@functools.lru_cache(maxsize=8)
def _short_pattern(language: str) -> str:
    return str(dates.get_datetime_format("short", locale=language)).replace("'", "")


@functools.lru_cache(maxsize=4096)
def _short_time(language: str, hour: int, minute: int) -> str:
    return dates.format_time(time(hour, minute), "short", locale=language)


@functools.lru_cache(maxsize=4096)
def _short_date(language: str, day: date) -> str:
    return dates.format_date(day, "short", locale=language)


def local_time(value: datetime, format: str = "%Y-%m-%d %H:%M") -> str:
    """``value`` (naive values are UTC) in the reader's time zone, written with a strftime
    ``format``: the ``local_time`` filter, for compact times in lists and posts."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone()).strftime(format)


def from_local(moment: datetime | None) -> datetime | None:
    """A time typed in the reader's time zone (a form's naive datetime-local value) as an
    aware UTC datetime; None stays None. A wall time a clock change skips or repeats takes
    standard time."""
    if moment is None:
        return None
    reader = zone()
    local = reader.localize(moment) if isinstance(reader, pytz.BaseTzInfo) else moment.replace(tzinfo=reader)
    return local.astimezone(UTC)


def to_local(moment: datetime | None) -> datetime | None:
    """An aware UTC datetime as a datetime-local field shows it: naive, in the reader's zone."""
    return None if moment is None else moment.astimezone(zone()).replace(tzinfo=None)


def init_app(app: Flask) -> None:
    """Expose the page language to templates as ``html_lang`` and translate Flask-Login."""
    login_manager.login_message = LOGIN_MESSAGE
    login_manager.localize_callback = str
    app.before_request(lambda: setattr(request, "wtforms_translations", WTFORMS_MESSAGES))
    app.jinja_env.filters.update(datetimeformat=datetimeformat, local_time=local_time)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n; as Flask-Babel does
        gettext=lambda s: get_translations().ugettext(s), newstyle=True,
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )
    # ``_()`` and ``gettext()`` (and ``{% trans %}``) call ours straight, not through Jinja's wrappers.
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)

    @app.context_processor
    def page_language():
        return {"html_lang": html_lang(get_locale())}


def html_lang(locale: Locale | None) -> str:
    """The page's ``lang`` tag: language and territory, ``zh-CN`` (Babel says ``zh_Hans_CN``)."""
    if locale is None:
        return "en"
    return f"{locale.language}-{locale.territory}" if locale.territory else locale.language
