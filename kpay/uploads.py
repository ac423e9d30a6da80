"""Uploaded files: checked without reading them whole, kept in the app's storage under
generated names, deleted once the row that named them is gone, and served after the caller
has checked access.

Every upload in the core and the plugins uses these functions, so all of them follow the
storage backend (``kpay.storage``). A folder name is also the first part of each file's key:
``store("avatars", "webp", data)`` writes ``avatars/<32 hex>.webp``.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from flask import Flask, Response, current_app, redirect, request, send_file
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse  # what send_file and redirect give
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps

from kpay.storage import storage
from kpay.transactions import after_commit

NAME = re.compile(r"[0-9a-f]{32}\.[a-z0-9]{2,4}")
HEAD = 4096


class UploadError(Exception):
    """An upload that cannot be used; the message is for the member."""


def read_limited(stream, max_mb: int, *, too_large=_l("This file is larger than %(mb)s MB."),
                 empty=_l("Choose a file to upload.")) -> bytes:
    """The bytes of ``stream``, reading at most ``max_mb`` MiB and one byte more: for small
    files (pictures) that are decoded whole anyway.

    Raises ``UploadError`` with ``too_large`` (a lazy string with ``%(mb)s``) when the file is
    bigger, or with ``empty`` when it has no bytes.
    """
    max_bytes = max_mb * 2**20
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(str(too_large) % {"mb": max_mb})
    if not data:
        raise UploadError(str(empty))
    return data


def measure(file: BinaryIO, max_mb: int, *, too_large=_l("This file is larger than %(mb)s MB."),
            empty=_l("Choose a file to upload.")) -> tuple[int, bytes]:
    """(size in bytes, first ``HEAD`` bytes) of a seekable ``file``, which is left at its start;
    nothing is read beyond the head. Raises ``UploadError`` like ``read_limited``."""
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    if size > max_mb * 2**20:
        raise UploadError(str(too_large) % {"mb": max_mb})
    if not size:
        raise UploadError(str(empty))
    head = file.read(HEAD)
    file.seek(0)
    return size, head


def store(folder: str, extension: str, data: bytes | BinaryIO | Path) -> str:
    """Write ``data`` (bytes, a file read in chunks from its position, or a local file that is
    moved in) to ``folder`` under a new random name; returns the name."""
    name = f"{secrets.token_hex(16)}.{extension}"
    if isinstance(data, Path):
        storage().move_in(f"{folder}/{name}", data)
    else:
        storage().save(f"{folder}/{name}", io.BytesIO(data) if isinstance(data, bytes) else data)
    return name


def discard(folder: str, name: str | None) -> None:
    """Delete the stored file ``name`` now (one stored for a change that did not happen)."""
    if name and NAME.fullmatch(name):
        storage().delete(f"{folder}/{name}")


def forget(folder: str, name: str | None) -> None:
    """Delete the stored file ``name`` once the current transaction commits."""
    if name and NAME.fullmatch(name):
        backend = storage()
        after_commit(lambda: backend.delete(f"{folder}/{name}"))


def serve(key: str, media_type: str, *, download_name: str | None = None, private: bool = True,
          accel_prefix: str = "", max_age: int = 3600) -> BaseResponse:
    """A response with the stored file ``key``: Range requests answered from a local file,
    an ``X-Accel-Redirect`` to ``accel_prefix`` + key for nginx, or a redirect to a short-lived
    presigned URL of an object store. Call only after checking access."""
    backend = storage()
    seconds = current_app.config["KPAY"]["storage"]["url_seconds"]
    path = backend.local_path(key)
    if path is None:
        url = backend.url(key, seconds, media_type, download_name)
        response = redirect(url, 302) if url else Response(status=404)
    elif accel_prefix:
        response = Response(mimetype=media_type)
        response.headers["X-Accel-Redirect"] = accel_prefix.rstrip("/") + "/" + key
        if download_name is not None:
            response.headers.set("Content-Disposition", "attachment", filename=download_name)
    elif not path.is_file():
        return Response(status=404)
    else:
        response = send_file(path, mimetype=media_type, conditional=True, as_attachment=download_name is not None,
                             download_name=download_name, max_age=0 if private else max_age)
    if path is None:  # a redirect must not outlive the presigned URL it points to
        max_age = min(max_age, seconds // 2)
    response.headers["Cache-Control"] = "private, no-store" if private else f"public, max-age={max_age}"
    return response


def allow_large_body(max_mb: Callable[[], int]):
    """Let a view accept a request body of ``max_mb()`` MiB plus 1 MiB for its other fields,
    above the site's ``max_request_mb`` (a form that carries a video). File parts are spooled
    to disk by Werkzeug as they arrive, never held in memory."""
    def mark(view):
        view.kpay_max_body_mb = max_mb
        return view
    return mark


def _raise_body_limit() -> None:
    limit = getattr(current_app.view_functions.get(request.endpoint), "kpay_max_body_mb", None)
    if limit is not None:
        request.max_content_length = (limit() + 1) * 2**20


def init_app(app: Flask) -> None:
    """Install the per-view body limit as the first request hook: whatever reads the form
    (the input filter, CSRF) must see it. Call after ``input_filter.init_app``."""
    app.before_request_funcs.setdefault(None, []).insert(0, _raise_body_limit)


PICTURE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
# 40 megapixels: any phone photo, and still a bounded amount of memory to decode.
MAX_PIXELS = 40_000_000


def picture_webp(data: bytes, size: tuple[int, int], quality: int = 85) -> bytes:
    """``data``, a picture, as a fresh WebP of exactly ``size``, cropped around its centre.

    Pillow decodes it only when it recognises PNG, JPEG, WebP or GIF from the bytes and the
    header declares at most ``MAX_PIXELS``; otherwise ``UploadError`` says what to upload.
    Nothing a member sent is ever served back as it was.
    """
    try:
        with Image.open(io.BytesIO(data), formats=PICTURE_FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise UploadError(_("This picture has too many pixels."))
            image.draft("RGB", size)  # JPEG decodes at a reduced scale: less memory
            picture = ImageOps.exif_transpose(image)
            mode = "RGBA" if picture.has_transparency_data else "RGB"
            fitted = ImageOps.fit(picture.convert(mode), size, Image.Resampling.LANCZOS)
    except Image.DecompressionBombError:
        raise UploadError(_("This picture has too many pixels.")) from None
    except (OSError, ValueError, SyntaxError):  # what Pillow raises for unreadable files
        raise UploadError(_("Upload a PNG, JPEG, WebP or GIF picture.")) from None
    out = io.BytesIO()
    fitted.save(out, "WEBP", quality=quality)
    return out.getvalue()
