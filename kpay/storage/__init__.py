"""Where uploaded files live: the app's one ``Storage`` (a local folder, or an S3-compatible
bucket for sites on several hosts), addressed by keys ``<folder>/<name>``.

Every upload in the core and the plugins goes through ``storage()``; the folders they use are
declared by ``kpay_upload_folders`` so ``kpay storage`` (migrate, check), backups and the
cleanup sweep can enumerate them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

from flask import current_app

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A file in storage: its key, size in bytes and when it was last written (aware, UTC)."""

    key: str
    size: int
    modified: datetime


class Storage(Protocol):
    """What a storage backend offers; keys are ``<folder>/<name>`` made of safe characters."""

    name: str

    def save(self, key: str, file: BinaryIO) -> None:
        """Write ``file`` (read in chunks from its current position) under ``key``, whole or
        not at all."""

    def move_in(self, key: str, path: Path) -> None:
        """Store the local file at ``path`` under ``key`` and remove it (a rename when it can)."""

    def open(self, key: str) -> BinaryIO:
        """The file under ``key`` for reading; ``FileNotFoundError`` when there is none."""

    def delete(self, key: str) -> None:
        """Remove ``key``; nothing happens when it is already gone."""

    def stat(self, key: str) -> StoredFile | None:
        """``key``'s size and time, or None when there is no such file."""

    def list(self, prefix: str) -> Iterator[StoredFile]:
        """Every file whose key starts with ``prefix``."""

    def local_path(self, key: str) -> Path | None:
        """The file's path on this host (local backend), else None."""

    def url(self, key: str, seconds: int, media_type: str, download_name: str | None = None) -> str | None:
        """A presigned URL valid for ``seconds`` (object stores), else None."""


def storage() -> Storage:
    """The current app's storage backend."""
    return current_app.extensions["kpay_storage"]


def build(settings: dict, instance_path: Path) -> Storage:
    """The backend ``settings`` (the ``[storage]`` table) name."""
    if settings["backend"] == "s3":
        from kpay.storage.s3 import S3Storage

        return S3Storage(settings)
    from kpay.storage.local import LocalStorage

    return LocalStorage(Path(settings["local_folder"] or instance_path / "uploads"))


def init_app(app) -> None:
    """Give ``app`` its backend; pages may then fetch media from an object store's origin."""
    from kpay.security import CSP

    backend = app.extensions["kpay_storage"] = build(app.config["KPAY"]["storage"], Path(app.instance_path))
    url = backend.url("origin", 60, "application/octet-stream")
    if url:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        app.extensions["kpay_csp"] = CSP.replace("connect-src 'self'", f"connect-src 'self' {origin}")


def checksum(backend: Storage, key: str) -> str:
    """The SHA-256 of the file under ``key``, read in chunks."""
    digest = hashlib.sha256()
    with backend.open(key) as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
