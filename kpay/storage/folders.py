"""The upload folders the core and the plugins declare, and what in them no row points at."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from kpay.models.base import utcnow
from kpay.storage import Storage, StoredFile, storage
from kpay.types import UploadFolder


def folders() -> list[UploadFolder]:
    """Every declared folder, sorted by prefix."""
    declared = current_app.extensions["kpay"].pm.hook.kpay_upload_folders()
    return sorted((item for items in declared for item in items or ()), key=lambda folder: folder.prefix)


@dataclass(frozen=True)
class Report:
    """A folder's files no row points at, and the keys rows point at that are missing."""

    folder: UploadFolder
    orphans: list[StoredFile]
    missing: list[str]


def _used(key: str, keys: set[str], prefixes: tuple[str, ...]) -> bool:
    return key in keys or key.startswith(prefixes)


def check(backend: Storage | None = None) -> Iterator[Report]:
    """A ``Report`` per declared folder of ``backend`` (the app's storage by default)."""
    backend = backend or storage()
    for folder in folders():
        used = set(folder.in_use())
        keys = {key for key in used if not key.endswith("/")}
        prefixes = tuple(key for key in used if key.endswith("/"))
        files = list(backend.list(folder.prefix + "/"))
        present = {item.key for item in files}
        orphans = [item for item in files if not _used(item.key, keys, prefixes)]
        missing = sorted(key for key in keys if key not in present)
        yield Report(folder, orphans, missing)


def sweep() -> int:
    """Delete orphans older than ``storage.grace_hours`` (a file just stored for a row not yet
    committed is younger); how many files were deleted."""
    grace = timedelta(hours=current_app.config["KPAY"]["storage"]["grace_hours"])
    cutoff = utcnow() - grace
    backend = storage()
    deleted = 0
    for report in check(backend):
        for item in report.orphans:
            if item.modified < cutoff:
                backend.delete(item.key)
                deleted += 1
    return deleted
