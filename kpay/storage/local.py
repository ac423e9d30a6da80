"""The local-folder storage backend: keys are paths under one folder (``instance/uploads``)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from kpay.storage import CHUNK, StoredFile

KEY = re.compile(r"[a-z0-9_][a-z0-9_.-]*(/[a-zA-Z0-9_][a-zA-Z0-9_.-]*)*")


def check_key(key: str) -> str:
    """``key`` if it is a safe relative path (no ``..``, no absolute path), else ValueError."""
    if not KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalStorage:
    """Files in ``root``; a write goes to a temporary file first and is renamed into place."""

    name = "local"

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def save(self, key: str, file: BinaryIO) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(file, out, CHUNK)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def move_in(self, key: str, path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, target)
        except OSError:  # another file system: copy, then remove
            with path.open("rb") as file:
                self.save(key, file)
            path.unlink()

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def stat(self, key: str) -> StoredFile | None:
        try:
            found = self._path(key).stat()
        except FileNotFoundError:
            return None
        return StoredFile(key, found.st_size, datetime.fromtimestamp(found.st_mtime, UTC))

    def list(self, prefix: str) -> Iterator[StoredFile]:
        folder = self.root / check_key(prefix.rstrip("/"))
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            if path.is_file() and not path.name.startswith(".part-"):
                found = path.stat()
                key = path.relative_to(self.root).as_posix()
                yield StoredFile(key, found.st_size, datetime.fromtimestamp(found.st_mtime, UTC))

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def url(self, key: str, seconds: int, media_type: str, download_name: str | None = None) -> str | None:
        return None
