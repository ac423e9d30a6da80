"""The instance folders holding uploads, as the core and the plugins declare them.

The core's are listed here; plugins add theirs through ``kpay_backup_folders``. Site pictures
(the logo, a QR code) are PNG files at the top of the instance folder.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

CORE_FOLDERS = ("avatars",)


def declared() -> list[str]:
    """Every declared folder, relative to the instance folder, sorted and without repeats."""
    names = set(CORE_FOLDERS)
    for items in current_app.extensions["kpay"].pm.hook.kpay_backup_folders():
        names.update(items or ())
    return sorted(names)


def files(instance: Path) -> list[tuple[str, Path]]:
    """``(name in the archive, path)`` for every file in the declared folders and every site
    picture; a declared folder that exists but cannot be read raises ``OSError``."""
    found = [(item.name, item) for item in sorted(instance.glob("*.png")) if item.is_file()]
    for name in declared():
        folder = instance / name
        if not folder.exists():
            continue
        if not folder.is_dir():
            raise OSError(f"{folder} is not a folder")
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                found.append((path.relative_to(instance).as_posix(), path))
    return found
