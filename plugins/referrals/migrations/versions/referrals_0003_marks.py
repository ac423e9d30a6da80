"""referrals: devices and payment accounts of members, to catch self-referral

Revision ID: referrals_0003
Revises: referrals_0002
Create Date: 2026-12-06 08:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'referrals_0003'
down_revision = 'referrals_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referrals_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('mark', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_referrals_marks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals_marks')),
    sa.UniqueConstraint('user_id', 'kind', 'mark', name=op.f('uq_referrals_marks_user_id_kind_mark'))
    )


def downgrade():
    op.drop_table('referrals_marks')
