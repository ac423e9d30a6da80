"""Choosing the language and time zone of a request."""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_login import current_user

from kpay.config import LOCALES

# Browsers say zh, zh-CN, zh-Hans or zh-SG for Simplified Chinese.
_BROWSER_TAGS = {"en": "en", "zh": "zh_CN", "zh-CN": "zh_CN", "zh-Hans": "zh_CN", "zh-SG": "zh_CN"}


def select_locale() -> str:
    """The member's language, else the visitor's choice, the browser's, the site default."""
    user = current_user if request else None
    if user is not None and user.is_authenticated and user.locale in LOCALES:
        return user.locale
    if session.get("locale") in LOCALES:
        return session["locale"]
    best = request.accept_languages.best_match(list(_BROWSER_TAGS))
    if best:
        return _BROWSER_TAGS[best]
    return current_app.config["KPAY"]["default_locale"]


def select_timezone() -> str:
    """The member's IANA time zone, else the site's."""
    user = current_user if request else None
    if user is not None and user.is_authenticated and user.timezone:
        return user.timezone
    return current_app.config["KPAY"]["timezone"]


def init_app(app: Flask) -> None:
    """Expose the locale to templates as ``html_lang`` (``zh-CN`` style)."""

    @app.context_processor
    def language():
        from flask_babel import get_locale

        locale = get_locale()
        return {"html_lang": str(locale).replace("_", "-") if locale else "en"}
