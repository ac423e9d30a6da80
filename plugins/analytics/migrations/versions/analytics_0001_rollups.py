"""analytics: daily rollups, member days, topic days, sources, page views, salts, costs, cursors

Revision ID: analytics_0001
Revises:
Create Date: 2026-12-06 04:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'analytics_0001'
down_revision = None
branch_labels = ('analytics',)
depends_on = "0010_product_covers"


def upgrade():
    op.create_table('analytics_daily',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('dim', sa.String(length=120), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'metric', 'dim', name=op.f('pk_analytics_daily'))
    )
    with op.batch_alter_table('analytics_daily', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_daily_metric_dim_day', ['metric', 'dim', 'day'], unique=False)
    op.create_table('analytics_imported',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('dim', sa.String(length=120), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'metric', 'dim', name=op.f('pk_analytics_imported'))
    )
    op.create_table('analytics_member_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('interactions', sa.Integer(), nullable=False),
    sa.Column('discussions', sa.Integer(), nullable=False),
    sa.Column('completion', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'user_id', name=op.f('pk_analytics_member_days'))
    )
    with op.batch_alter_table('analytics_member_days', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_member_days_user_id_day', ['user_id', 'day'], unique=False)
    op.create_table('analytics_topic_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('day', 'user_id', 'topic_id', name=op.f('pk_analytics_topic_days'))
    )
    op.create_table('analytics_member_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'user_id', name=op.f('pk_analytics_member_months'))
    )
    op.create_table('analytics_member_sources',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_analytics_member_sources_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_analytics_member_sources'))
    )
    op.create_table('analytics_page_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('visitor', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_page_views'))
    )
    with op.batch_alter_table('analytics_page_views', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_page_views_day_visitor', ['day', 'visitor'], unique=False)
    op.create_table('analytics_salts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_analytics_salts'))
    )
    op.create_table('analytics_costs',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_analytics_costs'))
    )
    op.create_table('analytics_cursors',
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_analytics_cursors'))
    )


def downgrade():
    for table in ('analytics_cursors', 'analytics_costs', 'analytics_salts', 'analytics_page_views',
                  'analytics_member_sources', 'analytics_member_months', 'analytics_topic_days', 'analytics_member_days', 'analytics_imported', 'analytics_daily'):
        op.drop_table(table)
