"""users: indexes for the admin members list's orders (newest first, by name)

Revision ID: 0007_admin_members_indexes
Revises: 0006_ledger_running_balance
Create Date: 2026-12-06 02:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_admin_members_indexes'
down_revision = '0006_ledger_running_balance'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index('ix_users_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_users_display_name_id', ['display_name', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('ix_users_display_name_id')
        batch_op.drop_index('ix_users_created_at_id')
