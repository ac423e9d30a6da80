"""Putting an archive back into this instance: refused before anything is written when the
archive fails a check, was made by newer code, or the site is not empty (unless replacing)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade as migrate_upgrade

from kpay.backup import database, folders
from kpay.backup.archive import Opened, compare_tables
from kpay.backup.database import BackupError
from kpay.extensions import db
from kpay.storage import storage


@dataclass(frozen=True)
class Restored:
    """What a restore put back."""

    tables: int
    rows: int
    files: int
    config_files: list[str]
    migrated: bool


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())


def check_versions(manifest: dict) -> bool:
    """Whether the archive needs migrating after restore (not one made with no migrations
    applied); ``BackupError`` when it comes from
    newer code (a revision this code does not know)."""
    script = _script()
    archived = set(manifest["database"]["heads"])
    for revision in sorted(archived):
        if not _known(script, revision):
            raise BackupError(
                f"the archive was made by a newer KPay ({manifest['kpay_version']}, migration {revision}); "
                "upgrade KPay first")
    return bool(archived) and archived != set(script.get_heads())


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for unknown revisions
        return False


def occupied() -> list[str]:
    """What already holds data here: tables with rows and upload files."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    found = []
    tables = database.tables(url)
    if tables:
        found.append(f"{len(tables)} tables in the database")
    uploads = folders.stored()
    if uploads:
        found.append(f"{len(uploads)} uploaded files")
    return found


def restore(archive: Opened) -> Restored:
    """Write the checked archive into this instance's database and folders."""
    manifest = archive.manifest
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    kind = "sqlite" if database.is_sqlite(url) else "postgresql"
    if kind != manifest["database"]["kind"]:
        raise BackupError(f"the archive holds a {manifest['database']['kind']} database; this site uses {kind}")
    migrate = check_versions(manifest)
    db.session.remove()
    db.engine.dispose()
    compare_tables(manifest["database"]["tables"], database.load(url, archive.dump))
    instance = Path(current_app.instance_path)
    backend = storage()
    for item in folders.stored():
        backend.delete(item.key)
    count = 0
    for key, path in archive.members("files"):
        with path.open("rb") as file:
            backend.save(key, file)
        count += 1
    for name, path in archive.members("pictures"):
        shutil.copyfile(path, instance / name)
    config_files = [name for name, _ in archive.members("config")]
    for name, path in archive.members("config"):
        shutil.copyfile(path, instance / name)
        (instance / name).chmod(0o600)
    if migrate:
        migrate_upgrade(revision="heads")
    tables = manifest["database"]["tables"]
    return Restored(len(tables), sum(item["rows"] for item in tables.values()), count, config_files, migrate)
