"""ledger_days: creators' entries summed per day in the site's time zone (filled from
ledger_slots), and ledger_day_zones: the zone they are kept in

Revision ID: 0012_ledger_days
Revises: 0011_list_indexes
Create Date: 2026-12-06 18:30:00

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

from kpay.commerce.days import refill


# revision identifiers, used by Alembic.
revision = '0012_ledger_days'
down_revision = '0011_list_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_days',
    sa.Column('account', sa.String(length=80), nullable=False),
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('fee_minor', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('account', 'zone', 'day', 'currency', 'kind', name=op.f('pk_ledger_days'))
    )
    op.create_table('ledger_day_zones',
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('zone', name=op.f('pk_ledger_day_zones'))
    )
    refill(op.get_bind(), current_app.config["KPAY"]["timezone"])


def downgrade():
    op.drop_table('ledger_day_zones')
    op.drop_table('ledger_days')
