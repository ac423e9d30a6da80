"""Privacy-first page views: no IP address, user agent or member is stored.

A visitor is ``sha256(day's salt, IP, user agent, host)`` cut to 32 hex digits, so the same
browser counts once a day; the salt is random, kept one day and then deleted, after which no
one (the operator included) can tell whose a hash was. A browser that sends Do Not Track
(``DNT: 1``) or Global Privacy Control (``Sec-GPC: 1``) is not counted at all; the script
checks the same before it sends anything. Nothing is sent to anyone else.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from flask import Request, session
from sqlalchemy.dialects import postgresql, sqlite

from kpay.api import db, today
from plugins.analytics.models import MemberSource, PageView, Salt

BOTS = re.compile(r"bot|crawl|spider|slurp|headless|preview", re.I)
SESSION_KEY = "analytics_source"


def tracking_refused(request: Request) -> bool:
    """True when the browser asked not to be tracked (DNT or GPC) or is a robot."""
    return (request.headers.get("DNT") == "1" or request.headers.get("Sec-GPC") == "1"
            or bool(BOTS.search(request.headers.get("User-Agent", ""))))


def source_of(path: str, referrer: str, host: str) -> str:
    """Where a visit came from: ``utm:<source>[/<campaign>]``, ``site:<host>`` or ``direct``;
    ``""`` for a view reached from another page of this site (not a visit)."""
    query = parse_qs(urlsplit(path).query)
    utm = (query.get("utm_source") or [""])[0].strip().lower()[:50]
    if utm:
        campaign = (query.get("utm_campaign") or [""])[0].strip().lower()[:50]
        return f"utm:{utm}/{campaign}" if campaign else f"utm:{utm}"
    origin = urlsplit(referrer).hostname or ""
    if origin and origin == host.split(":")[0]:
        return ""
    return f"site:{origin.removeprefix('www.')[:100]}" if origin else "direct"


def record(request: Request) -> bool:
    """Count the page view the beacon reports; False when it was not counted."""
    if tracking_refused(request):
        return False
    path = (request.form.get("p") or "")[:1000]
    if not path.startswith("/") or path.startswith("//"):
        return False
    source = source_of(path, request.form.get("r") or "", request.host)
    if source and SESSION_KEY not in session:
        session[SESSION_KEY] = source  # the first visit's source, for the sign-up that may follow
    day = today()
    visitor = hashlib.sha256("\n".join((
        _salt(day), request.remote_addr or "", request.headers.get("User-Agent", ""), request.host,
    )).encode()).hexdigest()[:32]
    db.session.add(PageView(day=day, path=urlsplit(path).path[:200], source=source, visitor=visitor))
    db.session.commit()
    return True


def _salt(day) -> str:
    """The day's salt, made by the first view of the day."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Salt.__table__)
    db.session.execute(insert.values(day=day, salt=secrets.token_hex(32)).on_conflict_do_nothing())
    return db.session.scalar(sa.select(Salt.salt).where(Salt.day == day))


def remember_source(user_id: int) -> None:
    """Keep the source of the visit that led to this sign-up (called in the sign-up's request)."""
    source = session.get(SESSION_KEY)
    if source and db.session.get(MemberSource, user_id) is None:
        db.session.add(MemberSource(user_id=user_id, source=source[:120]))
