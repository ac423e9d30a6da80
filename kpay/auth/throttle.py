"""Log-in throttling that slows guessers down without locking the owner out (S12).

Three limits on ``POST /login``; the last two count failed attempts only:

1. a client address: 10 a minute and 50 an hour, whatever the accounts;
2. an (account, address) pair: 5 failures in 15 minutes;
3. an account from new places: 10 failures an hour over all addresses, applied only to a
   client that is new to the account. A browser that logged in to the account before
   (it keeps a signed ``kpay_known`` cookie) and an address it logged in from (the audit
   log's ``auth.login`` entries) are known, so the owner still gets in while someone else
   guesses from elsewhere.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from kpay.accounts import find_by_email, normalize_email
from kpay.extensions import db
from kpay.models import AuditEntry, User

BY_ADDRESS = "10/minute;50/hour"
BY_ACCOUNT_AND_ADDRESS = "5 per 15 minutes"
BY_ACCOUNT_FROM_NEW_PLACES = "10/hour"
KNOWN_COOKIE = "kpay_known"
KNOWN_MAX = 5  # accounts one browser remembers
KNOWN_DAYS = 365


def failed(response: Response) -> bool:
    """Count an attempt only when the password was refused."""
    return response.status_code == 422


def account_and_address() -> str:
    return f"login-pair:{normalize_email(request.form.get('email', ''))}:{request.remote_addr}"


def account() -> str:
    return f"login:{normalize_email(request.form.get('email', ''))}"


def known_client() -> bool:
    """True when this browser or address has logged in to the account it names before."""
    user = find_by_email(request.form.get("email", ""))
    if user is None:
        return False
    if user.id in _known_ids():
        return True
    return db.session.scalar(
        sa.select(AuditEntry.id).where(
            AuditEntry.action == "auth.login", AuditEntry.actor_id == user.id, AuditEntry.ip == request.remote_addr,
        ).limit(1)
    ) is not None


def remember_browser(response: Response, user: User) -> None:
    """Mark this browser as one ``user`` logs in from (a signed cookie of account ids)."""
    ids = [user.id, *(i for i in _known_ids() if i != user.id)][:KNOWN_MAX]
    config = current_app.config
    response.set_cookie(
        KNOWN_COOKIE, _serializer().dumps(ids), max_age=KNOWN_DAYS * 24 * 3600, httponly=True,
        secure=config["SESSION_COOKIE_SECURE"], samesite="Lax",
    )


def _known_ids() -> list[int]:
    try:
        ids = _serializer().loads(request.cookies.get(KNOWN_COOKIE, ""))
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="kpay-known-browser")
