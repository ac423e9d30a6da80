"""Migrations (F9): an empty database upgraded to every head matches the models, both engines."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from kpay import config
from kpay.app import create_app
from kpay.cli import cli
from kpay.extensions import db, migrate
from tests.conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    """The URL of a database with no tables at all: a new SQLite file or PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with fresh_postgres_database("kpay_migrations") as url:
        yield url


@pytest.fixture
def site(tmp_path, empty_database):
    """Build apps on the empty database: ``site(enabled=[...])`` (no ``create_all``)."""
    made = []

    def factory(enabled: list[str]):
        settings = {
            "instance_path": str(tmp_path / "instance"),
            "database_url": empty_database,
            "plugins": {"enabled": enabled},
        }
        made.append(create_app(settings))
        return made[-1]

    yield factory
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def hello_app(site):
    """A site with kpay-hello and every built-in plugin enabled on an empty database (upgrade
    applies every branch, so the models of all of them are compared)."""
    return site(["hello", *config.default_plugins()])


def schema_differences() -> list:
    """What autogenerate would change to make the database match the models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_to_heads_matches_the_models_and_the_plugin_branch_downgrades(hello_app):
    with hello_app.app_context():
        upgrade(revision="heads")
        assert schema_differences() == []
        assert {"users", "jobs", "hello_greetings"} <= table_names()

        downgrade(revision="hello@base")
        assert "hello_greetings" not in table_names()
        assert "users" in table_names()

        upgrade(revision="heads")
        assert schema_differences() == []


def test_each_branch_has_one_head_and_hello_depends_on_the_core(hello_app):
    with hello_app.app_context():
        script = ScriptDirectory.from_config(migrate.get_config())
        core_heads = [h for h in script.get_heads() if not script.get_revision(h).branch_labels]
        assert len(core_heads) == 1, "the core is one line of revisions"
        assert "hello_0001" in script.get_heads()
        hello = script.get_revision("hello_0001")
        assert (hello.branch_labels, hello.dependencies) == ({"hello"}, "0001_core")


def test_kpay_db_upgrade_applies_every_head(hello_app):
    result = hello_app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    checked = hello_app.test_cli_runner().invoke(cli, ["db", "check"])
    assert checked.exit_code == 0, checked.output  # up to date, and nothing to autogenerate


def test_a_disabled_plugins_recorded_revision_does_not_break_upgrade(site, hello_app):
    with hello_app.app_context():
        upgrade(revision="heads")
    without_hello = site([])
    result = without_hello.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with without_hello.app_context():
        assert "hello_greetings" in table_names()  # its data stays


def test_status_checks_keep_existing_orders_and_refuse_unknown_statuses(site):
    """0009 adds the status CHECK constraints to a database with orders, payments and
    entitlements in it (SQLite rebuilds the tables under their references); every row stays."""
    app = site([])
    with app.app_context():
        upgrade(revision="0008_page_indexes")
        with db.engine.begin() as connection:
            run = connection.exec_driver_sql
            run("INSERT INTO users (id, email, password_hash, display_name, role, status, session_version, bio, "
                "interests, digest, status_reason, created_at) "
                "VALUES (1, 'a@example.com', 'x', 'A', 'member', 'active', 1, '', '[]', 'weekly', '', '2026-01-01')")
            run("INSERT INTO products (id, creator_id, name, description, kind, price_minor, currency, active, "
                "created_at) VALUES (1, 1, 'Course', '', 'one_time', 100, 'CNY', true, '2026-01-01')")
            for n, status in enumerate(("paid", "awaiting_confirmation", "refunded"), start=1):
                run("INSERT INTO orders (id, user_id, product_id, product_name, provider, status, list_price_minor, "
                    "discount_minor, amount_minor, refunded_minor, currency, nonce, member_reference, created_at, "
                    f"expires_at) VALUES ({n}, 1, 1, 'Course', 'sandbox', '{status}', 100, 0, 100, 0, 'CNY', "
                    f"'n{n}', '', '2026-01-01', '2026-01-02')")
            run("INSERT INTO payments (order_id, provider, provider_ref, amount_minor, currency, created_at) "
                "VALUES (1, 'sandbox', 'ref', 100, 'CNY', '2026-01-01')")
            run("INSERT INTO entitlements (id, user_id, product_id, source, status, starts_at, created_at) "
                "VALUES (1, 1, 1, 'order:1', 'active', '2026-01-01', '2026-01-01')")

        upgrade(revision="heads")
        assert schema_differences() == []
        with db.engine.connect() as connection:
            statuses = connection.exec_driver_sql("SELECT status FROM orders ORDER BY id").scalars().all()
            assert statuses == ["paid", "awaiting_confirmation", "refunded"]
            assert connection.exec_driver_sql("SELECT order_id FROM payments").scalar() == 1
        for table, bad in (("orders", "payed"), ("entitlements", "paused")):
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                connection.exec_driver_sql(f"UPDATE {table} SET status = '{bad}' WHERE id = 1")

        downgrade(revision="0008_page_indexes")
        with db.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE orders SET status = 'payed' WHERE id = 1")  # no constraint now


def test_a_revision_for_a_plugin_without_migrations_is_refused_naming_the_hook(hello_app):
    result = hello_app.test_cli_runner().invoke(cli, ["db", "revision", "--plugin", "pay_sandbox", "-m", "x"])
    assert result.exit_code == 1
    assert "plugin 'pay_sandbox' declares no migration folder (implement kpay_migration_dirs)" in result.output
