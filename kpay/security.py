"""Security headers on every response, the check that keeps redirects on this site, and
rate-limit counters of one app's own."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Flask, Response, current_app, g, request, session

from kpay.extensions import limiter

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # htmx 2 leaves an empty style="" on inputs it settles; only that empty attribute is allowed.
    "style-src 'self' 'unsafe-hashes' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "img-src 'self' data: https:",
    "media-src 'self' https: blob:",  # blob: HLS players feed <video> through Media Source Extensions
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default``.

    Refuses absolute and scheme-relative URLs, backslashes and control characters, also
    once percent-decoded (``//evil``, ``/%09/evil``, ``https:evil``, ``/\\evil``).
    """
    if not target:
        return default
    candidates = [target]
    while (decoded := unquote(candidates[-1])) != candidates[-1] and len(candidates) < 5:
        candidates.append(decoded)
    for text in candidates:
        if "\\" in text or any(ord(c) < 32 or ord(c) == 127 for c in text):
            return default
        try:
            parts = urlsplit(text)
        except ValueError:  # "//[" and other unparsable authorities
            return default
        if parts.scheme or parts.netloc or not text.startswith("/") or text.startswith("//"):
            return default
    return target


# The headers every response carries unless its view set one of them itself (name, value).
FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def add_security_headers(response: Response) -> Response:
    """Set CSP, nosniff, referrer and framing rules, HSTS over https, and ``Vary: HX-Request``.

    The headers a view did not set are added in one pass (Werkzeug's ``setdefault`` walks
    the header list once per header)."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    wanted = [("Content-Security-Policy", current_app.extensions.get("kpay_csp", CSP)), *FIXED_HEADERS]
    if request.is_secure:
        wanted.append(HSTS)
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    response.vary.add("HX-Request")
    # A page that looked at the member is theirs alone (flask-login keeps the user in g).
    user = g.get("_login_user")
    if user is not None and user.is_authenticated and "cache-control" not in present:
        headers["Cache-Control"] = "private, no-store"
    return response


def clear_remember_cookie(response: Response) -> Response:
    """Delete the remember-me cookie with the attributes it was set with.

    Flask-Login deletes it on log-out without ``Secure`` and ``SameSite`` (flask-login#683),
    and a browser may keep a cookie whose deletion does not match it. Runs before Flask-Login's
    own ``after_request`` (registered later), and takes the deletion over from it.
    """
    if session.get("_remember") == "clear":
        session.pop("_remember")
        config = current_app.config
        response.delete_cookie(
            config["REMEMBER_COOKIE_NAME"], path=config.get("REMEMBER_COOKIE_PATH", "/"),
            domain=config.get("REMEMBER_COOKIE_DOMAIN"), secure=config["REMEMBER_COOKIE_SECURE"],
            httponly=config["REMEMBER_COOKIE_HTTPONLY"], samesite=config["REMEMBER_COOKIE_SAMESITE"],
        )
    return response


def own_rate_limit_counters(app: Flask) -> None:
    """Make the shared ``limiter`` (just bound to ``app``) count under ``app``'s key prefix.

    Flask-Limiter keeps the first app's key prefix and its "storage is down" flag across
    ``init_app`` calls on its one module-level object. A process that builds several apps (the
    tests, ``kpay`` commands) would then share log-in counters through Redis, or count in memory
    because an earlier app's Redis was down. A server builds one app: nothing changes for it.
    """
    limiter._key_prefix = app.config["RATELIMIT_KEY_PREFIX"]
    limiter._storage_dead = False


def init_app(app: Flask) -> None:
    """Install the response headers on ``app`` and give it its own rate-limit counters.

    Call after ``login_manager.init_app``: ``clear_remember_cookie`` must run first.
    """
    app.after_request(add_security_headers)
    app.after_request(clear_remember_cookie)
    own_rate_limit_counters(app)
