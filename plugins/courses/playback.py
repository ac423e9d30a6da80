"""Signed playback addresses: a lesson's media is reached through a token signed for the
member, the lesson and the browser session, which expires after ``playback_minutes``.

A copied address is useless to anyone else (another session), stops working when it expires,
and every request under it (the playlist, each segment, each Range of the source) still asks
``can_access`` through the lesson's access check.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from flask import current_app, session, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "courses.playback"
# What may follow a token: the uploaded file, the poster, the master playlist, a rendition's
# playlist or one of its segments.
PATHS = re.compile(r"source|poster|master\.m3u8|(?P<rendition>\d{3,4}p/(index\.m3u8|seg\d{4}\.ts))")


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _session_mark() -> str:
    """A short digest of this browser session's playback key (made on first use)."""
    key = session.get("playback_key")
    if key is None:
        key = session["playback_key"] = secrets.token_hex(16)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def sign(lesson_id: int) -> str:
    """A token for the current member and session to play lesson ``lesson_id``."""
    return _signer().dumps([current_user.get_id(), lesson_id, _session_mark()])


def valid(token: str, lesson_id: int) -> bool:
    """Whether ``token`` was signed for this member, session and lesson and has not expired."""
    minutes = current_app.config["KPAY"]["plugins"]["courses"]["playback_minutes"]
    try:
        user_id, signed_lesson, mark = _signer().loads(token, max_age=minutes * 60)
    except (BadSignature, ValueError, TypeError):
        return False
    return user_id == current_user.get_id() and signed_lesson == lesson_id and mark == _session_mark()


def urls(course_id: int, lesson) -> dict:
    """The signed addresses the player uses: ``src`` (the HLS playlist when there is one, else
    the uploaded file), ``source`` and ``poster``."""
    token = sign(lesson.id)

    def address(path: str) -> str:
        return url_for("courses.stream", course_id=course_id, lesson_id=lesson.id, token=token, path=path)

    return {"src": address("master.m3u8" if lesson.hls else "source"), "source": address("source"),
            "poster": address("poster") if lesson.poster else None, "hls": bool(lesson.hls)}
