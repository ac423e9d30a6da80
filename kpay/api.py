"""The plugin API: everything a plugin may import from KPay, in one module.

A plugin imports KPay only as ``from kpay.api import ...`` (its tests may use ``kpay.testing``
too). Names here keep working across releases: they gain arguments, never lose them, and are
deprecated before they go. Everything else in ``kpay`` is the core's own and may change without
notice; ``tests/test_api.py`` fails when a built-in plugin reaches past this module.
``docs/api.md`` is generated from it (``python -m kpay.apidocs``).

Core tables are the core's: a plugin reads them (``User``, ``Product``, ``Order``, ...) and
changes them only through the functions below. An order moves only through its transitions
(``checkout``, ``mark_awaiting_confirmation``, ``attach_provider_session``,
``keep_order_open_until``, ``mark_paid``, ``cancel_order``, ``refund_order``).
"""

from __future__ import annotations

from flask_login import login_required

from kpay.audit import record as record_audit
from kpay.commerce.access import access_notes, can_access, can_access_keys
from kpay.commerce.coupons import issue as issue_coupon
from kpay.commerce.entitlements import grant as grant_entitlement
from kpay.commerce.ledger import balance as ledger_balance
from kpay.commerce.ledger import balance_expression as ledger_balance_expression
from kpay.commerce.ledger import creator_account
from kpay.commerce.ledger import post as post_ledger
from kpay.commerce.money import format_money
from kpay.commerce.entitlements import revoke as revoke_entitlement
from kpay.commerce.notices import tell_managers as notify_commerce_managers
from kpay.commerce.orders import (
    CheckoutError,
    PaymentMismatch,
    attach_provider_session,
    checkout,
    mark_awaiting_confirmation,
    mark_paid,
)
from kpay.commerce.orders import cancel as cancel_order
from kpay.commerce.orders import keep_open_until as keep_order_open_until
from kpay.commerce.orders import refund as refund_order
from kpay.commerce.providers import provider as payment_provider
from kpay.config import ConfigError
from kpay.covers import apply as apply_cover
from kpay.covers import from_form as cover_from_form
from kpay.events import emit
from kpay.extensions import csrf, db, limiter
from kpay.forms import FlaskForm
from kpay.hookspecs import hookimpl
from kpay.i18n import add_translations, from_local, to_local
from kpay.i18n import language as current_language
from kpay.input_filter import query_int
from kpay.jobs import enqueue, enqueue_at, long_running
from kpay.kept_html import CSRF_HOLE, KeptHtml, keep_html, kept_macro, with_csrf
from kpay.listing import CURSOR_LENGTH, Page, paginate, read_filters
from kpay.models import ActivityEvent, Notification, PointsEntry, User
from kpay.models.base import UTCDateTime, utcnow
from kpay.models.commerce import (
    Coupon,
    Entitlement,
    EntitlementStatus,
    LedgerEntry,
    LedgerTransaction,
    Order,
    OrderStatus,
    Payment,
    Product,
    ProviderEvent,
    Refund,
)
from kpay.models.commerce import Payout as CreatorPayout
from kpay.notifications.service import notify
from kpay.permissions import can, declared_permissions, require
from kpay.plugins import hook
from kpay.points import award
from kpay.clock import site_now, today
from kpay.ratelimits import keyed_by_member
from kpay.resumable import begin as begin_resumable
from kpay.resumable import claim as claim_resumable
from kpay.resumable import finish as finish_resumable
from kpay.render import render, wants_partial
from kpay.security import CSP
from kpay.sharing import ShareCard, current_share_card, share_card
from kpay.storage import storage
from kpay.text import render_markdown
from kpay.transactions import add_to, after_commit, insert_once
from kpay.types import (
    AccessGrant,
    Asset,
    Event,
    LessonSource,
    NavItem,
    NotificationKind,
    PaymentProvider,
    Permission,
    Resource,
    Schedule,
    SearchDocument,
    Setting,
    UploadFolder,
    Widget,
)
from kpay.uploads import UploadError, allow_large_body, measure, picture_webp, read_limited, store
from kpay.uploads import NAME as UPLOAD_NAME
from kpay.uploads import discard as discard_upload
from kpay.uploads import forget as forget_upload
from kpay.uploads import serve as serve_upload

#: The API by topic, in the order docs/api.md lists it.
SECTIONS: dict[str, list[str]] = {
    "Hooks and the data they return": [
        "hookimpl", "hook", "Setting", "ConfigError", "NavItem", "Widget", "Asset", "Permission", "declared_permissions", "Schedule",
        "SearchDocument", "Event", "NotificationKind", "Resource", "LessonSource", "AccessGrant", "PaymentProvider",
        "UploadFolder", "add_translations",
    ],
    "Database": ["db", "utcnow", "UTCDateTime", "insert_once", "add_to", "after_commit"],
    "Views": [
        "render", "wants_partial", "render_markdown", "kept_macro", "keep_html", "KeptHtml", "CSRF_HOLE", "with_csrf",
        "current_language", "from_local", "to_local", "login_required", "require", "can", "FlaskForm", "csrf",
        "limiter", "keyed_by_member", "CSP", "query_int", "read_filters", "paginate", "Page", "CURSOR_LENGTH", "UploadError",
        "read_limited", "measure", "picture_webp", "allow_large_body", "store", "discard_upload", "forget_upload", "UPLOAD_NAME",
        "serve_upload", "storage", "begin_resumable", "claim_resumable", "finish_resumable", "cover_from_form",
        "apply_cover", "share_card", "current_share_card", "ShareCard",
    ],
    "Members, activity and work": [
        "User", "Notification", "notify", "emit", "ActivityEvent", "award", "PointsEntry", "enqueue", "enqueue_at",
        "long_running", "record_audit",
        "site_now", "today",
    ],
    "Paid content": ["can_access", "can_access_keys", "access_notes", "grant_entitlement", "revoke_entitlement",
                     "Entitlement", "EntitlementStatus"],
    "Orders and payment providers": [
        "Product", "Order", "OrderStatus", "Payment", "Refund", "ProviderEvent", "LedgerTransaction", "LedgerEntry", "checkout",
        "mark_awaiting_confirmation", "attach_provider_session", "keep_order_open_until", "mark_paid",
        "cancel_order", "refund_order", "CheckoutError", "PaymentMismatch", "payment_provider",
        "notify_commerce_managers", "post_ledger", "ledger_balance", "ledger_balance_expression", "format_money", "Coupon", "issue_coupon",
        "creator_account", "CreatorPayout",
    ],
}

#: What the names without a docstring of their own are.
NOTES: dict[str, str] = {
    "hook": "``hook()`` is the current app's hook relay, for a plugin that gathers what the others give: "
            "``hook().kpay_search_documents(since=None)`` returns one result per plugin.",
    "hookimpl": "The marker of a hook implementation: ``@hookimpl`` over a function named after a hook in "
                "docs/hooks.md.",
    "db": "Flask-SQLAlchemy's ``db``: ``db.Model`` for a plugin's tables, ``db.session`` for queries; the "
          "caller commits.",
    "CSRF_HOLE": "Stands for the reader's CSRF token in kept HTML (``kept_macro``, ``keep_html``); "
                 "``with_csrf`` puts the token in its place once per page.",
    "csrf": "Flask-WTF's CSRF protection; ``@csrf.exempt`` only for a signed webhook.",
    "limiter": "Flask-Limiter: ``@limiter.limit(\"5/minute\", key_func=keyed_by_member(\"scope\"))``.",
    "CURSOR_LENGTH": "The longest cursor ``paginate`` writes: give a filter form's ``cursor`` field "
                     "``Length(max=CURSOR_LENGTH)``.",
    "UPLOAD_NAME": "The pattern of a stored upload's name (32 hex digits and an extension): check a name "
                   "from a URL with ``UPLOAD_NAME.fullmatch`` before serving it.",
    "CSP": "The site's Content-Security-Policy header value, to extend for a page that embeds another origin.",
    "login_required": "Flask-Login's decorator: a visitor is sent to log in (an htmx request gets "
                      "``HX-Redirect``).",
}

__all__ = [name for names in SECTIONS.values() for name in names]
