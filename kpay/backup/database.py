"""Copying the database out and back in: SQLite through its online backup API, PostgreSQL
through ``pg_dump -Fc``/``pg_restore``; and the per-table row counts and checksums the manifest
records, taken from the same snapshot as the copy."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

PG_PACKAGE = "postgresql-client"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path:
    return Path(sa.engine.make_url(url).database)


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as ``pg_dump`` understands it."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not on the PATH; install the Debian package {PG_PACKAGE}")
    return path


def table_figures(connection: sa.Connection) -> dict[str, dict]:
    """``{table: {"rows": n, "sha256": hex}}``: rows read in primary-key order."""
    inspector = sa.inspect(connection)
    figures = {}
    for name in sorted(inspector.get_table_names()):
        table = sa.Table(name, sa.MetaData(), autoload_with=connection)
        keys = list(table.primary_key.columns) or list(table.columns)
        digest = hashlib.sha256()
        rows = 0
        result = connection.execute(sa.select(table).order_by(*keys))
        for row in result:
            digest.update(repr(tuple(row)).encode() + b"\n")
            rows += 1
        figures[name] = {"rows": rows, "sha256": digest.hexdigest()}
    return figures


def dump(url: str, target: Path) -> dict[str, dict]:
    """Copy the database to ``target``; the table figures of that very copy."""
    if is_sqlite(url):
        source = sqlite3.connect(sqlite_path(url), timeout=30)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # in one step: writers in WAL mode go on, the copy is one snapshot
        finally:
            copy.close()
            source.close()
        return sqlite_figures(target)
    pg_dump = pg_tool("pg_dump")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            done = subprocess.run(
                [pg_dump, "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target), libpq_url(url)],
                capture_output=True, text=True,
            )
            if done.returncode:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
            figures = table_figures(connection)
            connection.rollback()
    finally:
        engine.dispose()
    return figures


def sqlite_figures(path: Path) -> dict[str, dict]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return table_figures(connection)
    finally:
        engine.dispose()


def pg_check(path: Path) -> None:
    """Refuse a dump ``pg_restore`` cannot read."""
    done = subprocess.run([pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"the database dump is unreadable: {done.stderr.strip()}")


def tables(url: str) -> list[str]:
    """The tables in the database at ``url`` (none for a SQLite file not there yet)."""
    if is_sqlite(url) and not sqlite_path(url).exists():
        return []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()


def load(url: str, dump_file: Path) -> dict[str, dict]:
    """Replace the database at ``url`` with ``dump_file``; the table figures read back."""
    if is_sqlite(url):
        path = sqlite_path(url)
        temporary = path.with_name(path.name + ".restoring")
        shutil.copyfile(dump_file, temporary)
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        temporary.replace(path)
        return sqlite_figures(path)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        done = subprocess.run(
            [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", libpq_url(url), str(dump_file)],
            capture_output=True, text=True,
        )
        if done.returncode:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        with engine.connect() as connection:
            return table_figures(connection)
    finally:
        engine.dispose()
