"""orders keep the product's name as sold; refunds: one row per provider refund reference

Revision ID: 0004_commerce_records
Revises: 0003_commerce
Create Date: 2026-11-30 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_commerce_records'
down_revision = '0003_commerce'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_name', sa.String(length=120), nullable=False, server_default=''))
    op.execute(
        "UPDATE orders SET product_name = (SELECT name FROM products WHERE products.id = orders.product_id)"
    )
    op.create_index('ix_refunds_provider_ref', 'refunds', ['provider_ref'], unique=True)


def downgrade():
    op.drop_index('ix_refunds_provider_ref', table_name='refunds')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('product_name')
