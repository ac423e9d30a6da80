"""ledger: each entry carries when it was booked and its account's running balance; ledger_balances
holds each account's balance now; ledger_slots sums creators' entries per quarter hour

Revision ID: 0006_ledger_running_balance
Revises: 0005_jobs_base_url_messages
Create Date: 2026-12-06 01:40:00

"""
from alembic import op
import sqlalchemy as sa

from kpay.models.base import refuse_changes_ddl


# revision identifiers, used by Alembic.
revision = '0006_ledger_running_balance'
down_revision = '0005_jobs_base_url_messages'
branch_labels = None
depends_on = None

# Entries booked so far get their transaction's time and the running total in that order.
BACKFILL = """
UPDATE ledger_entries SET created_at = r.created_at, balance_after_minor = r.running
FROM (
    SELECT e.id AS id, t.created_at AS created_at,
           SUM(e.amount_minor) OVER (PARTITION BY e.account, e.currency ORDER BY t.created_at, e.id) AS running
    FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
) AS r
WHERE ledger_entries.id = r.id
"""


# The quarter hour an entry was booked in, counted from 1970 in UTC.
QUARTER = {
    "postgresql": "CAST(floor(extract(epoch FROM e.created_at) / 900) AS INTEGER)",
    "sqlite": "CAST(strftime('%s', e.created_at) AS INTEGER) / 900",
}
_SLOTS = """
INSERT INTO ledger_slots (account, currency, quarter, kind, amount_minor, fee_minor, entries)
SELECT account, currency, quarter, kind, SUM(amount_minor), SUM(fee), COUNT(*) FROM (
    SELECT e.account AS account, e.currency AS currency, {quarter} AS quarter, t.kind AS kind, e.amount_minor AS amount_minor,
           COALESCE((SELECT f.amount_minor FROM ledger_entries f
                     WHERE f.transaction_id = e.transaction_id AND f.account = 'platform:fees'), 0) AS fee
    FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
    WHERE e.account LIKE 'creator:%'
) AS booked
GROUP BY account, currency, quarter, kind
"""
SLOTS = {dialect: _SLOTS.format(quarter=quarter) for dialect, quarter in QUARTER.items()}  # from constants only


def _unguard(dialect: str) -> None:
    """Lift the append-only triggers on ledger_entries while its rows gain the new columns."""
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries")


def _guard(dialect: str) -> None:
    for statement in refuse_changes_ddl("ledger_entries", dialect):
        op.execute(statement)


def upgrade():
    dialect = op.get_bind().dialect.name
    _unguard(dialect)
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('balance_after_minor', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.alter_column('balance_after_minor', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('created_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_index('ix_ledger_entries_account_currency')
        batch_op.create_index('ix_ledger_entries_account_created_at', ['account', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_ledger_entries_account_currency_created_at',
                              ['account', 'currency', 'created_at', 'id'], unique=False)
    _guard(dialect)
    op.create_table('ledger_balances',
    sa.Column('account', sa.String(length=80), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('balance_minor', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'currency', name=op.f('pk_ledger_balances'))
    )
    op.execute(
        "INSERT INTO ledger_balances (account, currency, balance_minor) "
        "SELECT account, currency, SUM(amount_minor) FROM ledger_entries GROUP BY account, currency"
    )
    op.create_table('ledger_slots',
    sa.Column('account', sa.String(length=80), nullable=False),
    sa.Column('quarter', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('fee_minor', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'quarter', 'currency', 'kind', name=op.f('pk_ledger_slots'))
    )
    op.execute(SLOTS[dialect])


def downgrade():
    dialect = op.get_bind().dialect.name
    op.drop_table('ledger_slots')
    op.drop_table('ledger_balances')
    _unguard(dialect)
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_account_currency_created_at')
        batch_op.drop_index('ix_ledger_entries_account_created_at')
        batch_op.create_index('ix_ledger_entries_account_currency', ['account', 'currency'], unique=False)
        batch_op.drop_column('created_at')
        batch_op.drop_column('balance_after_minor')
    _guard(dialect)
