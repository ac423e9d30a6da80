"""Column helpers shared by the core's models."""

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always read back as timezone-aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class EnumText(TypeDecorator):
    """A ``StrEnum`` stored as its text and read back as the enum; an unknown value raises
    before it reaches the database (whose CHECK constraint refuses it too)."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value, dialect):
        return None if value is None else str(self.enum(value))

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum(value)


def refuse_changes_ddl(table: str, dialect: str) -> list[str]:
    """SQL that makes the database itself refuse UPDATE and DELETE on ``table``.

    Migrations run the same statements, so a table made by ``create_all`` and one made by
    ``kpay db upgrade`` are guarded alike. Other dialects get no trigger (the ORM guard stays).
    """
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only; add a correcting entry'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION kpay_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = "
            "TG_TABLE_NAME || ' is append-only; add a correcting entry'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION kpay_refuse_change()",
        ]
    return []


def append_only(model, in_database: bool = False) -> None:
    """Make ``model`` a ledger: flushing an UPDATE or DELETE of its rows raises.

    With ``in_database`` the database refuses bulk statements and raw SQL too (triggers).
    """

    def refuse(mapper, connection, target):
        raise RuntimeError(f"{model.__tablename__} is append-only; add a correcting entry")

    sa.event.listen(model, "before_update", refuse)
    sa.event.listen(model, "before_delete", refuse)
    if in_database:
        table = model.__table__
        for dialect in ("sqlite", "postgresql"):
            for statement in refuse_changes_ddl(table.name, dialect):
                sa.event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect=dialect))
