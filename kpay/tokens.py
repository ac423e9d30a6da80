"""Signed, purpose-bound, expiring tokens for the links KPay e-mails to members.

A token names a member and carries claims about their account as it was when the link was
sent (their address, a fingerprint of their password hash). It is accepted only for its own
purpose (the purpose is the signing salt), within its purpose's lifetime, and only while the
claims still hold: so a password-reset link works once, since the reset changes the hash.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from kpay.extensions import db
from kpay.models import User

LIFETIMES = {
    "confirm": timedelta(days=3),
    "reset": timedelta(hours=1),
    "email-change": timedelta(days=1),
}


class TokenError(Exception):
    """A link that cannot be used; ``reason`` is "expired", "used" or "invalid"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in LIFETIMES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"kpay.{purpose}")


def fingerprint(value: str) -> str:
    """A short keyed digest of ``value`` (a password hash), safe to show in a link."""
    secret = current_app.secret_key
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:16]


def issue(purpose: str, user: User, **claims: str) -> str:
    """A token for ``purpose`` naming ``user`` and carrying ``claims``."""
    return _serializer(purpose).dumps({"uid": user.id, **claims})


def read(purpose: str, token: str) -> dict:
    """The claims in ``token`` if it was issued for ``purpose`` and has not expired."""
    try:
        return _serializer(purpose).loads(token, max_age=int(LIFETIMES[purpose].total_seconds()))
    except SignatureExpired:
        raise TokenError("expired") from None
    except BadSignature:
        raise TokenError("invalid") from None


def redeem(purpose: str, token: str, current: Callable[[User], dict]) -> tuple[User, dict]:
    """The member a valid ``token`` names, and its claims.

    ``current(user)`` gives the claims as they would be issued now; a token whose claims
    differ was already used (or overtaken by a change) and raises ``TokenError("used")``.
    """
    claims = read(purpose, token)
    user = db.session.get(User, claims.get("uid", 0)) if isinstance(claims.get("uid"), int) else None
    if user is None:
        raise TokenError("invalid")
    expected = current(user)
    if any(not hmac.compare_digest(str(claims.get(k, "")), str(v)) for k, v in expected.items()):
        raise TokenError("used")
    return user, claims
