"""referrals: the part of a reward taken back by partial refunds; referral coupons

Revision ID: referrals_0002
Revises: referrals_0001
Create Date: 2026-12-06 05:58:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'referrals_0002'
down_revision = 'referrals_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals_rewards') as batch_op:
        batch_op.add_column(sa.Column('reversed_amount', sa.BigInteger(), server_default='0', nullable=False))
    op.create_table('referrals_coupons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invitee_id', sa.Integer(), nullable=True),
    sa.Column('side', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_referrals_coupons_coupon_id_coupons')),
    sa.ForeignKeyConstraint(['invitee_id'], ['users.id'], name=op.f('fk_referrals_coupons_invitee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_referrals_coupons_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals_coupons')),
    sa.UniqueConstraint('coupon_id', name=op.f('uq_referrals_coupons_coupon_id'))
    )
    op.create_index(op.f('ix_referrals_coupons_user_id'), 'referrals_coupons', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_referrals_coupons_user_id'), table_name='referrals_coupons')
    op.drop_table('referrals_coupons')
    with op.batch_alter_table('referrals_rewards') as batch_op:
        batch_op.drop_column('reversed_amount')
