"""Alembic environment for KPay: the core's tables and every enabled plugin's branch."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def skip_empty_autogenerate(context, revision, directives):
    """Write no revision file when autogenerate finds no change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def render_item(type_, obj, autogen_context):
    """Write column types that wrap another (UTCDateTime) as the type they store."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{type(obj.impl).__name__}()"
    return False


# `kpay db revision --plugin NAME` compares only that plugin's tables (NAME_*).
PLUGIN = context.get_x_argument(as_dictionary=True).get("plugin")


def include_object(obj, name, type_, reflected, compare_to):
    """Leave alone tables the models do not know: a disabled plugin's branch keeps them."""
    if PLUGIN and type_ == "table" and not name.startswith(f"{PLUGIN}_"):
        return False
    return not (type_ == "table" and reflected and compare_to is None)


def run_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=db.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online():
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_autogenerate)
    options.setdefault("render_item", render_item)
    options.setdefault("include_object", include_object)
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table by rebuilding it; dropping the old copy must not trip
            # the references to it (its own recipe), so they are checked once at the end.
            _driver(connection).execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=db.metadata, **options)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                    raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
        finally:
            if sqlite:
                _driver(connection).execute("PRAGMA foreign_keys=ON")


def _driver(connection):
    """The sqlite3 connection itself: a PRAGMA on foreign keys works only outside a transaction."""
    return connection.connection.driver_connection


if context.is_offline_mode():
    run_offline()
else:
    run_online()
