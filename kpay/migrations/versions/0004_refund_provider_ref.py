"""refunds: one row per provider refund reference

Revision ID: 0004_refund_provider_ref
Revises: 0003_commerce
Create Date: 2026-11-30 01:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004_refund_provider_ref'
down_revision = '0003_commerce'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_refunds_provider_ref', 'refunds', ['provider_ref'], unique=True)


def downgrade():
    op.drop_index('ix_refunds_provider_ref', table_name='refunds')
