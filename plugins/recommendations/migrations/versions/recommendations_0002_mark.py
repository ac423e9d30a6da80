"""recommendations: the refresh's high-water mark

Revision ID: recommendations_0002
Revises: recommendations_0001
Create Date: 2026-12-06 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'recommendations_0002'
down_revision = 'recommendations_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recommendations_marks',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_recommendations_marks'))
    )


def downgrade():
    op.drop_table('recommendations_marks')
