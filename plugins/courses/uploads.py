"""Lesson media and covers: checked by their first bytes, kept in the storage folder
``courses`` under generated names, and served only by the access-checked views (Range
requests, ``X-Accel-Redirect`` to nginx when ``accel_redirect_prefix`` is set, or presigned
URLs of an object store)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import Response, current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps

from kpay.api import (
    UPLOAD_NAME,
    UploadError,
    db,
    discard_upload,
    forget_upload,
    measure,
    read_limited,
    serve_upload,
    store,
)
from plugins.courses.models import Course, Lesson

FOLDER = "courses"
ALLOWED = {
    "video": {"video/mp4": "mp4", "video/webm": "webm", "video/ogg": "ogv"},
    "audio": {"audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/wav": "wav", "audio/mp4": "m4a", "audio/webm": "weba"},
    "attachment": {"application/pdf": "pdf", "application/zip": "zip", "application/epub+zip": "epub"},
}
COVER_SIZE = (1200, 675)
COVER_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")


def settings() -> dict:
    return current_app.config["KPAY"]["plugins"]["courses"]


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


def store_media(source: BinaryIO | Path, kind: str) -> tuple[str, str, int]:
    """Store a lesson's ``kind`` file (a seekable file read in chunks, or a local file that is
    moved in); returns (stored name, media type, size in bytes). Raises ``UploadError`` for a
    file over the limit or of another type."""
    if isinstance(source, Path):
        with source.open("rb") as file:
            size, head = measure(file, settings()[f"max_{kind}_mb"])
    else:
        size, head = measure(source, settings()[f"max_{kind}_mb"])
    media_type = sniff(head, kind)
    if media_type is None:
        raise UploadError(refusal(kind))
    return store(FOLDER, ALLOWED[kind][media_type], source), media_type, size


def refusal(kind: str) -> str:
    """What a member is told when a file is not of a type a ``kind`` lesson takes."""
    return {
        "video": _("Upload an MP4, WebM or Ogg video."),
        "audio": _("Upload an MP3, Ogg, WAV, M4A or WebM audio file."),
    }.get(kind, _("Upload a PDF, EPUB or ZIP file."))


def store_cover(stream) -> str:
    """Store a cover picture re-encoded as WebP (at most ``COVER_SIZE``); its name."""
    data = read_limited(stream, settings()["max_cover_mb"])
    try:
        with Image.open(io.BytesIO(data), formats=COVER_FORMATS) as image:
            if image.width * image.height > 40_000_000:
                raise UploadError(_("This picture has too many pixels."))
            picture = ImageOps.exif_transpose(image).convert("RGB")
            picture.thumbnail(COVER_SIZE)
    except Image.DecompressionBombError:
        raise UploadError(_("This picture has too many pixels.")) from None
    except (OSError, ValueError, SyntaxError):
        raise UploadError(_("Upload a PNG, JPEG, WebP or GIF picture.")) from None
    out = io.BytesIO()
    picture.save(out, "WEBP", quality=82)
    return store(FOLDER, "webp", out.getvalue())


def forget(name: str | None) -> None:
    """Delete the stored file ``name`` once the current transaction commits."""
    forget_upload(FOLDER, name)


def discard(name: str | None) -> None:
    """Delete the stored file ``name`` now (stored for a change that was refused)."""
    discard_upload(FOLDER, name)


def in_use() -> list[str]:
    """Keys that lessons and courses point at: media, covers, posters and HLS folders."""
    lessons = db.session.execute(sa.select(Lesson.media, Lesson.poster, Lesson.hls).where(Lesson.media.is_not(None)))
    keys = [f"{FOLDER}/{name}" for name in db.session.scalars(sa.select(Course.cover).where(Course.cover.is_not(None)))]
    for media, poster, hls in lessons:
        keys += [f"{FOLDER}/{media}"] + ([f"{FOLDER}/{poster}"] if poster else [])
        keys += [f"{FOLDER}/hls/{hls}/"] if hls else []
    return keys


def serve(name: str, media_type: str, download_name: str | None = None, private: bool = True) -> Response:
    """A response with the stored file ``name`` (Range requests answered), an
    ``X-Accel-Redirect`` for nginx, or a presigned URL. Call only after checking access."""
    if not UPLOAD_NAME.fullmatch(name or ""):
        return Response(status=404)
    return serve_upload(f"{FOLDER}/{name}", media_type, download_name=download_name, private=private,
                         accel_prefix=settings()["accel_redirect_prefix"])
