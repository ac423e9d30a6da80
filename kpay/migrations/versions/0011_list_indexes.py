"""orders: indexes for My purchases and the admin console's status filter, read by keyset;
points_balances: each member's points kept beside the ledger (filled from its sums)

Revision ID: 0011_list_indexes
Revises: 0010_product_covers
Create Date: 2026-12-06 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_list_indexes'
down_revision = '0010_product_covers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_orders_user_id_id', 'orders', ['user_id', 'id'], unique=False)
    op.create_index('ix_orders_status_id', 'orders', ['status', 'id'], unique=False)
    op.create_table(
        'points_balances',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_points_balances_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_points_balances')),
    )
    op.execute(
        "INSERT INTO points_balances (user_id, points) "
        "SELECT user_id, SUM(amount) FROM points_entries GROUP BY user_id"
    )


def downgrade():
    op.drop_table('points_balances')
    op.drop_index('ix_orders_status_id', table_name='orders')
    op.drop_index('ix_orders_user_id_id', table_name='orders')
