"""orders and entitlements: the database holds each status to its enum (CHECK constraints)

Revision ID: 0009_status_checks
Revises: 0008_page_indexes
Create Date: 2026-12-06 01:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_status_checks'
down_revision = '0008_page_indexes'
branch_labels = None
depends_on = None

# The values as they were when this ran: later enum members come with their own migration.
STATUSES = {
    'orders': ('pending', 'awaiting_confirmation', 'paid', 'expired', 'cancelled', 'refunded'),
    'entitlements': ('active', 'revoked'),
}


def upgrade():
    for table, values in STATUSES.items():
        listed = ", ".join(f"'{value}'" for value in values)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f'ck_{table}_status_known'), f"status IN ({listed})")


def downgrade():
    for table in STATUSES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status_known'), type_='check')
