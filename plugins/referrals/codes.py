"""Invite codes and the two cookies: the signed last-touch referral, and the device id.

A member's code is their id in base 36 and four letters of an HMAC under the site's secret,
so a code is checked without a query and cannot be guessed from another member's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string

from flask import Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

REFERRAL_COOKIE = "kpay_ref"
DEVICE_COOKIE = "kpay_dev"
_DIGITS = string.digits + string.ascii_lowercase
_CODE = re.compile(r"[0-9a-z]{1,10}-?[0-9a-z]{4}")
CHANNELS = ("link", "code", "wechat", "weibo", "x", "poster", "copy", "native")


def _mac(text: str) -> str:
    digest = hmac.new(current_app.secret_key.encode(), f"referral:{text}".encode(), hashlib.sha256).digest()
    return "".join(_DIGITS[b % 36] for b in digest[:4])


def code_for(user_id: int) -> str:
    """The member's invite code, e.g. ``k3-x9qa``."""
    number, digits = user_id, ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if not number:
            break
    return f"{digits}-{_mac(digits)}"


def user_id_of(code: str) -> int | None:
    """The member a code belongs to, or None for a malformed or forged code (typed codes may
    come in capitals, with spaces, without the dash)."""
    code = (code or "").strip().lower().replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    digits, check = (code.split("-") if "-" in code else (code[:-4], code[-4:]))
    if not digits or not hmac.compare_digest(_mac(digits), check):
        return None
    return int(digits, 36)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kpay-referral")


def referral_cookie(referrer_id: int, channel: str, item: str) -> str:
    """The signed value of the last-touch cookie."""
    return _serializer().dumps({"r": referrer_id, "c": channel, "i": item[:200]})


def read_referral(max_days: int) -> dict | None:
    """The last touch this browser carries (``r`` referrer id, ``c`` channel, ``i`` item),
    or None when absent, tampered with or older than ``max_days``."""
    value = request.cookies.get(REFERRAL_COOKIE, "")
    if not value:
        return None
    try:
        found = _serializer().loads(value, max_age=max_days * 86400)
    except BadSignature:
        return None
    return found if isinstance(found, dict) and isinstance(found.get("r"), int) else None


def device_id() -> str:
    """This browser's random device id; a new one is set as a cookie on the response
    (``keep_device``), so the browser keeps it for a year."""
    found = request.cookies.get(DEVICE_COOKIE, "")
    if re.fullmatch(r"[0-9a-f]{32}", found):
        return found
    if "referrals_device" not in g:
        g.referrals_device = secrets.token_hex(16)
    return g.referrals_device


def keep_device(response: Response) -> Response:
    """After a request that gave this browser a device id: set its cookie."""
    if "referrals_device" in g:
        response.set_cookie(DEVICE_COOKIE, g.referrals_device, max_age=365 * 86400, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


def device_hash(device: str) -> str:
    """What is stored of a device id: a keyed hash, so the table never holds the cookie itself."""
    return hmac.new(current_app.secret_key.encode(), f"device:{device}".encode(), hashlib.sha256).hexdigest()[:32]


def same_mailbox(a: str, b: str) -> bool:
    """True when two addresses reach one mailbox: case, Gmail's dots and any ``+tag`` aside."""
    return _mailbox(a) == _mailbox(b)


def _mailbox(address: str) -> str:
    local, _sep, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"
