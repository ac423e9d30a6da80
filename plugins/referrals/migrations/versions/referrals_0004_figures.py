"""referrals: the operator's figures kept by a sweep

Revision ID: referrals_0004
Revises: referrals_0003
Create Date: 2026-12-06 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'referrals_0004'
down_revision = 'referrals_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referrals_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('part', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.Column('a', sa.Integer(), nullable=True),
    sa.Column('b', sa.Integer(), nullable=True),
    sa.Column('c', sa.Integer(), nullable=True),
    sa.Column('d', sa.Integer(), nullable=True),
    sa.Column('average', sa.Float(), nullable=True),
    sa.Column('swept_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals_figures'))
    )
    op.create_index('ix_referrals_figures_period', 'referrals_figures', ['period', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_referrals_figures_period', table_name='referrals_figures')
    op.drop_table('referrals_figures')
