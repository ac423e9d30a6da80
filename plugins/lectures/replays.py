"""A lecture's uploaded recording: checked by its first bytes, kept in the storage folder
``lectures`` under a generated name, and served only under a signed playback address that
asks the lecture's access check again on every request (like a course lesson's video).

A playback token is signed for the member, the lecture and the browser session and expires
after ``playback_minutes``: a copied address is useless to anyone else."""

from __future__ import annotations

import hashlib
import secrets
from typing import BinaryIO

import sqlalchemy as sa
from flask import Response, current_app, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from kpay.api import UPLOAD_NAME, UploadError, db, forget_upload, measure, serve_upload, store
from plugins.lectures.access import settings
from plugins.lectures.models import Lecture

FOLDER = "lectures"
TYPES = {"video/mp4": "mp4", "video/webm": "webm", "audio/mpeg": "mp3", "audio/mp4": "m4a"}
SALT = "lectures.replay"


def sniff(head: bytes) -> str | None:
    """The media type of a recording from its first bytes; None for a type a replay does not take."""
    if head[4:8] == b"ftyp":
        return "audio/mp4" if head[8:12] == b"M4A " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    return None


def store_recording(stream: BinaryIO) -> tuple[str, str, int]:
    """Store an uploaded recording (a seekable file, read in chunks); (stored name, media type,
    size). Raises ``UploadError`` for a file over ``max_replay_mb`` or of another type."""
    size, head = measure(stream, settings()["max_replay_mb"])
    media_type = sniff(head)
    if media_type is None:
        raise UploadError(_("Upload an MP4 or WebM video, or an MP3 or M4A audio file."))
    return store(FOLDER, TYPES[media_type], stream), media_type, size


def replace(lecture: Lecture, stored: tuple[str, str, int] | None) -> None:
    """Give ``lecture`` the stored recording (None: none); the old file goes once committed."""
    forget_upload(FOLDER, lecture.replay_file)
    lecture.replay_file, lecture.replay_type, lecture.replay_size = stored or (None, None, None)


def in_use() -> list[str]:
    """The storage keys lectures point at (for the storage sweep)."""
    return [f"{FOLDER}/{name}" for name in
            db.session.scalars(sa.select(Lecture.replay_file).where(Lecture.replay_file.is_not(None)))]


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _session_mark() -> str:
    """A short digest of this browser session's playback key (made on first use)."""
    key = session.get("playback_key")
    if key is None:
        key = session["playback_key"] = secrets.token_hex(16)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def address(lecture: Lecture) -> str:
    """The signed address the current member plays ``lecture``'s recording from."""
    token = _signer().dumps([current_user.get_id(), lecture.id, _session_mark()])
    return url_for("lectures.replay_file", lecture_id=lecture.id, token=token)


def valid(token: str, lecture_id: int) -> bool:
    """Whether ``token`` was signed for this member, session and lecture and has not expired."""
    try:
        user_id, signed, mark = _signer().loads(token, max_age=settings()["playback_minutes"] * 60)
    except (BadSignature, ValueError, TypeError):
        return False
    return user_id == current_user.get_id() and signed == lecture_id and mark == _session_mark()


def serve(lecture: Lecture) -> Response:
    """The recording (Range requests answered, or nginx / a presigned URL); after the access check."""
    if not UPLOAD_NAME.fullmatch(lecture.replay_file or ""):
        return Response(status=404)
    return serve_upload(f"{FOLDER}/{lecture.replay_file}", lecture.replay_type or "application/octet-stream",
                        accel_prefix=settings()["accel_redirect_prefix"])
