"""The points ledger: rows are only ever added; balances are sums."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.extensions import db
from kpay.models.base import UTCDateTime, append_only, utcnow


class PointsEntry(db.Model):
    """Points given (positive) or taken (negative) for one reason, once per ``key``."""

    __tablename__ = "points_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(200))
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


append_only(PointsEntry)

# The ORM guard above does not see bulk statements or raw SQL: the database refuses those.
# (The Alembic migration must create the same triggers.)
REFUSE_CHANGES = {
    "sqlite": [
        f"""CREATE TRIGGER points_entries_no_{verb.lower()} BEFORE {verb} ON points_entries
        BEGIN SELECT RAISE(ABORT, 'points_entries is append-only; add a correcting entry'); END"""
        for verb in ("UPDATE", "DELETE")
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION points_entries_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'points_entries is append-only; add a correcting entry'; END $$""",
        """CREATE TRIGGER points_entries_append_only BEFORE UPDATE OR DELETE ON points_entries
        FOR EACH ROW EXECUTE FUNCTION points_entries_refuse_change()""",
    ],
}
for dialect, statements in REFUSE_CHANGES.items():
    for statement in statements:
        sa.event.listen(
            PointsEntry.__table__, "after_create", sa.DDL(statement).execute_if(dialect=dialect)
        )
