"""What of the uploads goes into an archive: every file of the storage folders the core and the
plugins declare (``kpay_upload_folders``), from whichever backend holds them, and the site
pictures (the logo, a QR code: PNG files at the top of the instance folder)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from kpay.storage import StoredFile, storage
from kpay.storage import folders as upload_folders


def stored() -> list[StoredFile]:
    """Every file in the declared storage folders."""
    backend = storage()
    return [item for folder in upload_folders.folders() for item in backend.list(folder.prefix + "/")]


def pictures() -> list[Path]:
    """The site pictures in the instance folder."""
    return sorted(path for path in Path(current_app.instance_path).glob("*.png") if path.is_file())
