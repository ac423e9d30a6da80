"""Lesson media and covers: checked by their bytes, stored under ``instance/uploads/courses/``
with generated names, and served only by the access-checked views (Range requests through
``send_file``, or ``X-Accel-Redirect`` to nginx when ``accel_redirect_prefix`` is set)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import Response, current_app, send_file
from flask_babel import gettext as _

from kpay.transactions import after_commit
from kpay.uploads import UploadError, picture_webp, read_limited

NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{2,4}")
ALLOWED = {
    "video": {"video/mp4": "mp4", "video/webm": "webm", "video/ogg": "ogv"},
    "audio": {"audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/wav": "wav", "audio/mp4": "m4a", "audio/webm": "weba"},
    "attachment": {"application/pdf": "pdf", "application/zip": "zip", "application/epub+zip": "epub"},
}
COVER_SIZE = (1200, 675)


def settings() -> dict:
    return current_app.config["KPAY"]["plugins"]["courses"]


def folder() -> Path:
    """Where course files live: ``uploads/courses/`` in the instance folder."""
    return Path(current_app.instance_path) / "uploads" / "courses"


def sniff(head: bytes, kind: str) -> str | None:
    """The media type of a file from its first bytes, as a lesson of ``kind`` would use it."""
    found = None
    if head[4:8] == b"ftyp":
        found = "audio/mp4" if head[8:12] == b"M4A " else "video/mp4"
    elif head.startswith(b"\x1a\x45\xdf\xa3"):
        found = "video/webm"
    elif head.startswith(b"OggS"):
        found = "video/ogg" if b"\x80theora" in head[:200] else "audio/ogg"
    elif head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        found = "audio/wav"
    elif head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        found = "audio/mpeg"
    elif head.startswith(b"%PDF-"):
        found = "application/pdf"
    elif head.startswith(b"PK\x03\x04"):
        found = "application/epub+zip" if head[30:58] == b"mimetypeapplication/epub+zip" else "application/zip"
    if kind == "audio" and found in ("video/mp4", "video/webm"):
        found = "audio/" + found.split("/")[1]  # a sound-only MP4 or WebM is still audio
    return found if found in ALLOWED.get(kind, {}) else None


def _write(data: bytes, extension: str) -> str:
    name = f"{secrets.token_hex(16)}.{extension}"
    folder().mkdir(parents=True, exist_ok=True)
    (folder() / name).write_bytes(data)
    return name


def store_media(stream, kind: str) -> tuple[str, str, int]:
    """Store a lesson's ``kind`` file; returns (stored name, media type, size in bytes)."""
    data = read_limited(stream, settings()[f"max_{kind}_mb"])
    media_type = sniff(data[:512], kind)
    if media_type is None:
        raise UploadError({
            "video": _("Upload an MP4, WebM or Ogg video."),
            "audio": _("Upload an MP3, Ogg, WAV, M4A or WebM audio file."),
        }.get(kind, _("Upload a PDF, EPUB or ZIP file.")))
    return _write(data, ALLOWED[kind][media_type]), media_type, len(data)


def store_cover(stream) -> str:
    """Store a cover picture re-encoded as a ``COVER_SIZE`` WebP; its name."""
    data = read_limited(stream, settings()["max_cover_mb"])
    return _write(picture_webp(data, COVER_SIZE, quality=82), "webp")


def forget(name: str | None) -> None:
    """Delete the stored file ``name`` once the current transaction commits."""
    if name and NAME.fullmatch(name):
        path = folder() / name
        after_commit(lambda: path.unlink(missing_ok=True))


def serve(name: str, media_type: str, download_name: str | None = None, private: bool = True) -> Response:
    """A response with the stored file ``name`` (Range requests answered), or an
    ``X-Accel-Redirect`` for nginx to send it. Call only after checking access."""
    if not NAME.fullmatch(name or ""):
        return Response(status=404)
    prefix = settings()["accel_redirect_prefix"]
    if prefix:
        response = Response(mimetype=media_type)
        response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + name
    else:
        path = folder() / name
        if not path.is_file():
            return Response(status=404)
        response = send_file(path, mimetype=media_type, conditional=True, as_attachment=download_name is not None,
                             download_name=download_name, max_age=0 if private else 3600)
    if download_name is not None and prefix:
        response.headers.set("Content-Disposition", "attachment", filename=download_name)
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=3600"
    return response
