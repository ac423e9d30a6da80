"""Error pages (400, 403, 404, 405, 413, 429, 500) in the layout, and as banners for htmx;
503 when the database or Redis cannot be reached (or SQLite stays locked), on a page that
needs neither and keeps what the member typed."""

from __future__ import annotations

import logging
import math
import sqlite3
import time

import sqlalchemy as sa
from flask import Flask, Response, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from kpay.extensions import db, limiter, login_manager
from kpay.plugins import hook
from kpay.render import wants_partial

log = logging.getLogger("kpay.errors")

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Forbidden"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is larger than this site accepts.")),
    429: (_l("Slow down"), _l("Too many requests. Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An error on our side stopped this page. It has been logged.")),
}
CSRF_MESSAGE = _l("This page has expired. Reload the page and try again.")
OUTAGE_TITLE = _l("Briefly unavailable")
OUTAGE_MESSAGE = _l("The site cannot reach its database or queue just now. Please try again in a moment.")
# What a request may raise when the database or Redis is down, or SQLite stays locked.
OUTAGES = (sa.exc.OperationalError, sa.exc.InterfaceError, RedisConnectionError, RedisTimeoutError)
RETRY_AFTER_SECONDS = 5
KEPT_FIELDS_SKIPPED = ("password",)


def render_error(error: HTTPException) -> Response:
    """The error page for ``error``; for an htmx swap, a banner retargeted to ``#kpay-alerts``."""
    custom = hook().kpay_handle_error(error=error)
    if custom is not None:
        return custom
    code = error.code or 500
    title, message = MESSAGES.get(code, (error.name, error.description))
    if isinstance(error, CSRFError):
        message = CSRF_MESSAGE
    if code == 429:
        message = _retry_message()
    context = {"code": code, "title": title, "message": message, "reload": code == 400}
    try:
        response = _page_or_banner(context)
    except Exception:  # the layout itself failed (a plugin's nav hook, say): answer plainly
        log.exception("the error page for %s failed to render", code)
        db.session.rollback()
        response = make_response(f"{code} {error.name}", code, {"Content-Type": "text/plain; charset=utf-8"})
    retry_after = getattr(error, "retry_after", None)  # Flask-Limiter's 429 says when to come back
    if code == 429 and retry_after:
        response.headers["Retry-After"] = str(retry_after)
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    response.vary.add("HX-Request")
    return response


def _retry_message() -> str:
    """"Try again in N minutes", from the limit this request broke."""
    limit = limiter.current_limit
    if limit is None:
        return str(MESSAGES[429][1])
    # Rounded as Flask-Limiter rounds its Retry-After header, so the two agree.
    minutes = max(1, math.ceil(int(limit.reset_at - time.time()) / 60))
    return ngettext(
        "Too many attempts. Please try again in %(num)s minute.",
        "Too many attempts. Please try again in %(num)s minutes.",
        minutes,
    )


def _page_or_banner(context: dict) -> Response:
    if wants_partial():
        response = make_response(render_template("errors/_banner.html", **context), context["code"])
        response.headers["HX-Retarget"] = "#kpay-alerts"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    page = render_template("errors/error.html", kpay_template="errors/error.html", **context)
    return make_response(page, context["code"])


def handle_exception(error: Exception) -> Response:
    """Log an unexpected exception and answer with the generic 500 page."""
    if isinstance(error, HTTPException):
        return render_error(error)
    log.exception("unhandled error", exc_info=error)
    db.session.rollback()
    return render_error(InternalServerError(original_exception=error))


def is_outage(error: Exception) -> bool:
    """True when ``error`` says a dependency is away (not a bug): any of ``OUTAGES`` except
    SQLite's own errors other than a lock that outlasted the busy timeout."""
    original = getattr(error, "orig", None)
    if isinstance(original, sqlite3.Error):
        return isinstance(original, sqlite3.OperationalError) and "locked" in str(original)
    return isinstance(error, OUTAGES)


def render_outage(error: Exception) -> Response:
    """503 with ``Retry-After``: the page (which needs no database) keeps the form's text; an
    htmx request gets the reload banner in ``#kpay-alerts``, its form left as it was. The
    session is untouched: an outage never logs anyone out."""
    if not is_outage(error):
        return handle_exception(error)
    log.warning("answering 503: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 (the connection is gone; the pool replaces it)
        db.session.close()
    g._login_user = login_manager.anonymous_user()  # for this page only; nothing is asked of the DB
    context = {"code": 503, "title": OUTAGE_TITLE, "message": OUTAGE_MESSAGE, "reload": True}
    if wants_partial():
        response = make_response(render_template("errors/_banner.html", **context), 503)
        response.headers["HX-Retarget"] = "#kpay-alerts"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        kept = [
            (name, value) for name, value in request.form.items(multi=True)
            if not any(part in name for part in KEPT_FIELDS_SKIPPED)
        ] if request.method == "POST" else []
        response = make_response(render_template("errors/outage.html", kept=kept, **context), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.vary.add("HX-Request")
    return response


def init_app(app: Flask) -> None:
    """Register the error pages on ``app``."""
    app.register_error_handler(HTTPException, render_error)
    for outage in OUTAGES:
        app.register_error_handler(outage, render_outage)
    app.register_error_handler(Exception, handle_exception)
