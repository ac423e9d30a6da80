"""recommendations: a card's start time (a live lecture's)

Revision ID: recommendations_0003
Revises: recommendations_0002
Create Date: 2026-12-06 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'recommendations_0003'
down_revision = 'recommendations_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recommendations_cards') as batch_op:
        batch_op.add_column(sa.Column('starts_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('recommendations_cards') as batch_op:
        batch_op.drop_column('starts_at')
