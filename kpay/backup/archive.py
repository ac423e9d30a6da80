"""Writing a backup archive and opening one again, checking everything it holds.

An archive is a gzipped tar: ``manifest.json``, ``database/`` (a SQLite copy or a
``pg_dump -Fc`` file), ``files/`` (the storage folders' uploads, by key), ``pictures/`` (the
site pictures) and, when asked,
``config/`` (kpay.toml, secrets.toml, secret_key). With a passphrase the whole tar is sealed
with Fernet under a key derived by scrypt, so a wrong passphrase or a changed byte is refused.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import tarfile
import tempfile
from typing import BinaryIO
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from flask import current_app

import kpay
from kpay import config as site_config
from kpay import plugins
from kpay.backup import database, folders
from kpay.backup.database import BackupError
from kpay.models.base import utcnow
from kpay.storage import storage

FORMAT = 1
SEALED = b"KPAYBACKUP-FERNET-1\n"
SALT_BYTES = 16
CONFIG_FILES = (site_config.CONFIG_FILE, site_config.SECRETS_FILE, site_config.SECRET_FILE)
CHUNK = 1024 * 1024


def _key(passphrase: str, salt: bytes) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1)
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_name() -> str:
    return f"kpay-backup-{utcnow():%Y%m%d-%H%M%S}.tar.gz"


def database_heads(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if "alembic_version" not in sa.inspect(connection).get_table_names():
                return []
            return sorted(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def create(output: Path, *, include_config: bool = False, passphrase: str | None = None,
           progress=None) -> Path:
    """Write a backup of the current app's site into the folder ``output``; its path.

    ``progress(items)`` wraps the iteration over the files (a progress bar). The archive is
    written under a temporary name and renamed when complete; any failure removes it.
    """
    if not output.is_dir():
        raise BackupError(f"the backup folder {output} does not exist")
    if not os.access(output, os.W_OK):
        raise BackupError(f"the backup folder {output} is not writable")
    app = current_app
    instance = Path(app.instance_path)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        uploads = folders.stored()
        pictures = folders.pictures()
    except OSError as error:
        raise BackupError(f"cannot read the uploads: {error}") from None
    target = output / archive_name()
    serial = 1
    while target.exists():  # two backups in one second
        serial += 1
        target = output / archive_name().replace(".tar.gz", f"-{serial}.tar.gz")
    handle, temporary = tempfile.mkstemp(dir=output, prefix=".partial-", suffix=".tar.gz")
    os.close(handle)
    try:
        with tempfile.TemporaryDirectory() as work:
            dump_name = "database/kpay.sqlite" if database.is_sqlite(url) else "database/kpay.pgdump"
            dump_file = Path(work) / "dump"
            heads = database_heads(url)
            tables = database.dump(url, dump_file)
            members = {dump_name: dump_file}
            members.update({f"pictures/{path.name}": path for path in pictures})
            if include_config:
                for name in CONFIG_FILES:
                    if (instance / name).is_file():
                        members[f"config/{name}"] = instance / name
            items = [*members.items(), *((f"files/{item.key}", item) for item in uploads)]
            checksums = {}
            with tarfile.open(temporary, "w:gz") as tar:
                for name, source in (progress(items) if progress else items):
                    checksums[name] = _add(tar, name, source)
                manifest = {
                    "format": FORMAT,
                    "created": utcnow().isoformat(),
                    "kpay_version": kpay.__version__,
                    "plugins": {info.name: info.version for info in plugins.describe(
                        app.config["KPAY"]["plugins"]["enabled"]) if info.enabled},
                    "database": {"kind": "sqlite" if database.is_sqlite(url) else "postgresql",
                                 "file": dump_name, "heads": heads, "tables": tables},
                    "files": {"count": len(uploads), "bytes": sum(item.size for item in uploads)},
                    "config_included": include_config,
                    "members": checksums,
                }
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(data)
                info.mtime = int(utcnow().timestamp())
                tar.addfile(info, io.BytesIO(data))
        if passphrase:
            _seal(Path(temporary), passphrase)
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


class _Hashing:
    """A reader that hashes what passes through it."""

    def __init__(self, file):
        self.file, self.digest, self.size = file, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add(tar: tarfile.TarFile, name: str, source) -> dict:
    """Add a local file (a Path) or a stored upload (a ``StoredFile``) as ``name``; its size
    and SHA-256 as read."""
    info = tarfile.TarInfo(name)
    info.mtime = int(utcnow().timestamp())
    info.mode = 0o600
    if isinstance(source, Path):
        info.size = source.stat().st_size
        opened: BinaryIO = source.open("rb")
    else:
        info.size = source.size
        opened = storage().open(source.key)
    with opened as file:
        reader = _Hashing(file)
        tar.addfile(info, reader)
    if reader.size != info.size:
        raise BackupError(f"{name} changed while it was read; run the backup again")
    return {"size": reader.size, "sha256": reader.digest.hexdigest()}


def _seal(path: Path, passphrase: str) -> None:
    salt = os.urandom(SALT_BYTES)
    token = Fernet(_key(passphrase, salt)).encrypt(path.read_bytes())
    path.write_bytes(SEALED + salt + token)


@dataclass
class Opened:
    """An archive unpacked into ``folder`` after every check passed."""

    folder: Path
    manifest: dict

    @property
    def dump(self) -> Path:
        return self.folder / self.manifest["database"]["file"]

    def members(self, folder: str) -> Iterator[tuple[str, Path]]:
        """``(name without the folder, unpacked file)`` per member under ``folder/``."""
        for name in sorted(self.manifest["members"]):
            if name.startswith(folder + "/"):
                yield name.removeprefix(folder + "/"), self.folder / name


@contextlib.contextmanager
def opened(path: Path, passphrase: str | None = None) -> Iterator[Opened]:
    """Unpack and check the archive at ``path`` into a temporary folder; ``BackupError``
    naming what failed (unreadable, truncated, wrong passphrase, a checksum or a count)."""
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        source = _unsealed(path, passphrase, folder)
        manifest = _unpack(source, folder)
        _check(manifest, folder)
        yield Opened(folder, manifest)


def _unsealed(path: Path, passphrase: str | None, work: Path) -> Path:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SEALED))
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None
    if head != SEALED:
        if passphrase:
            raise BackupError("the archive is not encrypted, but a passphrase was given")
        return path
    if not passphrase:
        raise BackupError("the archive is encrypted: give --passphrase-file")
    data = path.read_bytes()[len(SEALED):]
    salt, token = data[:SALT_BYTES], data[SALT_BYTES:]
    try:
        plain = Fernet(_key(passphrase, salt)).decrypt(token)
    except InvalidToken:
        raise BackupError("wrong passphrase, or the encrypted archive was changed or cut short") from None
    clear = work / ".archive.tar.gz"
    clear.write_bytes(plain)
    return clear


def _unpack(source: Path, folder: Path) -> dict:
    try:
        with tarfile.open(source, "r:gz") as tar:
            tar.extractall(folder / "unpacked", filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise BackupError(f"the archive is damaged or cut short ({error})") from None
    for item in (folder / "unpacked").iterdir():
        item.rename(folder / item.name)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        raise BackupError("the archive has no readable manifest.json") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown archive format {manifest.get('format')!r}")
    return manifest


def _check(manifest: dict, folder: Path) -> None:
    """Every member there with its size and SHA-256; the database copy's tables as recorded."""
    for name, expected in sorted(manifest["members"].items()):
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from the archive")
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"{name} does not match its checksum in the manifest")
    dump = folder / manifest["database"]["file"]
    if manifest["database"]["kind"] == "sqlite":
        compare_tables(manifest["database"]["tables"], database.sqlite_figures(dump))
    else:
        database.pg_check(dump)


def compare_tables(expected: dict, found: dict) -> None:
    """``BackupError`` naming the first table whose rows or checksum differ."""
    for name, figures in sorted(expected.items()):
        there = found.get(name)
        if there is None:
            raise BackupError(f"table {name} is missing")
        if there["rows"] != figures["rows"]:
            raise BackupError(f"table {name} has {there['rows']} rows, the manifest says {figures['rows']}")
        if there["sha256"] != figures["sha256"]:
            raise BackupError(f"table {name} does not match its checksum in the manifest")
