"""Resumable uploads: a large file sent in chunks, each appended to a partial file on disk, so
neither a dropped connection nor a 4 GB video costs more than one chunk of memory.

A plugin starts an upload after its own checks (``begin``: who may upload, the size limit of
the kind, the type sniffed from the first bytes the browser read); the browser then sends
chunks with ``PATCH /uploads/<token>`` and an ``Upload-Offset`` header (as in the tus
protocol), asks ``GET /uploads/<token>`` where to resume after an error, and finally posts
the token with the plugin's form, which ``claim``s the complete file. Partial files live in
``instance/incoming/`` (shared by the web hosts, or reached through sticky sessions) and are
removed by the storage sweep a day after they were last touched.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kpay.uploads import UploadError

CHUNK = 1024 * 1024
TOKEN = re.compile(r"[0-9a-f]{32}")
STALE_SECONDS = 24 * 3600
MAX_OPEN = 5  # unfinished uploads one member may have at a time
SPARE_BYTES = 1024**3  # left free on the disk after an upload has arrived

bp = Blueprint("uploads", __name__, url_prefix="/uploads")


def folder() -> Path:
    """Where partial uploads are written: ``incoming/`` in the instance folder."""
    return Path(current_app.instance_path) / "incoming"


def begin(user_id: int, purpose: str, filename: str, size: int, max_mb: int) -> str:
    """Start an upload of ``size`` bytes for ``purpose`` (``"courses.video"``); its token.

    Raises ``UploadError`` when ``size`` is zero or over ``max_mb`` MiB, when the member has
    ``MAX_OPEN`` unfinished uploads, or when the disk would keep less than ``SPARE_BYTES``.
    """
    if size <= 0:
        raise UploadError(_("Choose a file to upload."))
    if size > max_mb * 2**20:
        raise UploadError(_("This file is larger than %(mb)s MB.", mb=max_mb))
    folder().mkdir(parents=True, exist_ok=True)
    mine = sum(1 for meta in folder().glob("*.json") if _owner(meta) == user_id)
    if mine >= MAX_OPEN:
        raise UploadError(_("You have %(num)s unfinished uploads: finish or wait for one before starting another.",
                            num=mine))
    if shutil.disk_usage(folder()).free < size + SPARE_BYTES:
        raise UploadError(_("The server has no room for this file now. Please tell the site's admin."))
    token = secrets.token_hex(16)
    (folder() / f"{token}.part").touch()
    meta = {"user_id": user_id, "purpose": purpose, "filename": filename[:200], "size": size}
    (folder() / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def _owner(meta: Path) -> int | None:
    """Who started the upload ``meta`` records (None while it is being written or removed)."""
    try:
        return json.loads(meta.read_text(encoding="utf-8"))["user_id"]
    except (OSError, ValueError, KeyError):
        return None


def _meta(token: str, user_id: int) -> dict:
    """The upload ``token`` of ``user_id``; 404 for anyone else's or an unknown one."""
    if not TOKEN.fullmatch(token):
        abort(404)
    try:
        meta = json.loads((folder() / f"{token}.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        abort(404)
    if meta["user_id"] != user_id:
        abort(404)
    return meta


def received(token: str) -> int:
    """How many bytes of upload ``token`` have arrived."""
    return (folder() / f"{token}.part").stat().st_size


def append(token: str, offset: int, stream, length: int, size: int) -> int:
    """Append ``length`` bytes of ``stream`` to upload ``token`` if ``offset`` is where it
    stands; returns the bytes received so far (unchanged when ``offset`` is not the end).

    A lock on the partial file makes a retried chunk racing its first attempt append once.
    """
    with (folder() / f"{token}.part").open("ab") as part:
        fcntl.flock(part, fcntl.LOCK_EX)
        at = part.seek(0, os.SEEK_END)
        if offset != at or at + length > size:
            return at
        left = length
        while left and (chunk := stream.read(min(CHUNK, left))):
            part.write(chunk)
            left -= len(chunk)
        part.flush()
        return part.tell()


def claim(token: str, user_id: int, purpose: str) -> tuple[Path, str]:
    """(path of the complete file, the member's file name) of ``user_id``'s upload ``token``.

    Raises ``UploadError`` when it is unknown, another's, for another purpose or unfinished.
    Call ``finish`` once the file is stored (or refused).
    """
    meta = None
    if TOKEN.fullmatch(token or ""):
        try:
            meta = json.loads((folder() / f"{token}.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            meta = None
    if meta is None or meta["user_id"] != user_id or meta["purpose"] != purpose:
        raise UploadError(_("This upload was not found: choose the file again."))
    if received(token) != meta["size"]:
        raise UploadError(_("The upload is not complete: wait for it to finish, or choose the file again."))
    return folder() / f"{token}.part", meta["filename"]


def finish(token: str) -> None:
    """Remove upload ``token``'s partial file and its record."""
    for suffix in (".part", ".json"):
        (folder() / f"{token}{suffix}").unlink(missing_ok=True)


def sweep_stale(now: float | None = None) -> int:
    """Remove uploads untouched for ``STALE_SECONDS``; how many were removed."""
    now = time.time() if now is None else now
    removed = 0
    for meta in folder().glob("*.json") if folder().is_dir() else ():
        part = meta.with_suffix(".part")
        touched = max(meta.stat().st_mtime, part.stat().st_mtime if part.exists() else 0)
        if now - touched > STALE_SECONDS:
            finish(meta.stem)
            removed += 1
    return removed


@bp.route("/<token>", methods=["GET", "HEAD"])
@login_required
def status(token: str):
    """How far upload ``token`` got: ``{"offset": n, "size": n}`` and the tus headers."""
    meta = _meta(token, current_user.id)
    offset = received(token)
    response = jsonify(offset=offset, size=meta["size"])
    response.headers.update({"Upload-Offset": str(offset), "Upload-Length": str(meta["size"]),
                             "Cache-Control": "no-store"})
    return response


@bp.route("/<token>", methods=["PATCH"])
@login_required
def chunk(token: str):
    """Append the request body at ``Upload-Offset``; 409 with the real offset when the client
    is out of step (it resumes from there), 413 when the chunk would pass the declared size."""
    meta = _meta(token, current_user.id)
    offset = request.headers.get("Upload-Offset", type=int)
    length = request.content_length
    if offset is None or length is None or offset < 0:
        return jsonify(error=_("Send Upload-Offset and Content-Length.")), 400
    if offset + length > meta["size"]:
        return jsonify(error=_("This chunk goes past the file's size.")), 413
    now = append(token, offset, request.stream, length, meta["size"])
    response = jsonify(offset=now, size=meta["size"])
    response.status_code = 200 if now == offset + length else 409
    response.headers["Upload-Offset"] = str(now)
    return response
