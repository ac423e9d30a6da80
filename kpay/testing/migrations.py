"""``assert_migrations_match_models``: a plugin's Alembic branch builds exactly its models' tables."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import sqlalchemy as sa

from kpay.testing.databases import TEST_DATABASE_URL, fresh_postgres_database


@contextlib.contextmanager
def empty_database(folder: Path):
    """The URL of a database with no tables: PostgreSQL when configured, else a SQLite file."""
    if TEST_DATABASE_URL:
        with fresh_postgres_database("kpay_migrations") as url:
            yield url
    else:
        yield f"sqlite:///{folder / 'empty.db'}"


def schema_differences(db, tables: str = "") -> list:
    """What autogenerate would change so the database matches the models (only tables whose
    name starts with ``tables``, when given)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    return [d for d in differences if not tables or _table_of(d).startswith(tables)]


def _table_of(difference) -> str:
    """The table an autogenerate difference is about (a list of changes: its first one's)."""
    kind, *rest = difference[0] if isinstance(difference, list) else difference
    if kind.endswith("_column") or kind.startswith("modify_"):
        return rest[1]  # (kind, schema, table name, ...)
    item = rest[0]  # a Table, or an Index or constraint on one
    return item.name if isinstance(item, sa.Table) else getattr(getattr(item, "table", None), "name", "")


def assert_migrations_match_models(plugin: str) -> None:
    """Upgrade an empty database through the real migrations (the core's and every branch)
    with ``plugin`` enabled; fail unless its tables (``<plugin>_*``) match its models, unless
    its branch downgrades to nothing of its own, and unless upgrading again matches once more.

    Runs on PostgreSQL when ``KPAY_TEST_DATABASE_URL`` is set, else on a SQLite file.
    """
    from flask_migrate import downgrade, upgrade

    from kpay.app import create_app
    from kpay.extensions import db

    prefix = f"{plugin}_"
    with tempfile.TemporaryDirectory() as folder, empty_database(Path(folder)) as url:
        app = create_app({"instance_path": f"{folder}/instance", "database_url": url, "redis_url": "",
                          "plugins": {"enabled": [plugin]}})
        with app.app_context():
            try:
                upgrade(revision="heads")
                own = {t for t in sa.inspect(db.engine).get_table_names() if t.startswith(prefix)}
                models = {t for t in db.metadata.tables if t.startswith(prefix)}
                assert own == models, f"tables {sorted(own)} made by the migrations, {sorted(models)} in the models"
                assert schema_differences(db, prefix) == [], "the migrations and the models differ"
                downgrade(revision=f"{plugin}@base")
                left = [t for t in sa.inspect(db.engine).get_table_names() if t.startswith(prefix)]
                assert left == [], f"{plugin}@base still has {left}"
                upgrade(revision="heads")
                assert schema_differences(db, prefix) == []
            finally:
                db.session.remove()
                db.engine.dispose()
