"""recommendations: cards, lists, taken sets, dismissals, resets

Revision ID: recommendations_0001
Revises: 
Create Date: 2026-12-06 04:40:57.207556

"""
from alembic import op
import sqlalchemy as sa


revision = 'recommendations_0001'
down_revision = None
branch_labels = ('recommendations',)
depends_on = '0010_product_covers'


def upgrade():
    op.create_table('recommendations_cards',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=240), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('resource_kind', sa.String(length=20), nullable=True),
    sa.Column('resource_id', sa.String(length=64), nullable=True),
    sa.Column('creator_id', sa.Integer(), nullable=True),
    sa.Column('free', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_recommendations_cards'))
    )
    op.create_table('recommendations_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('reason', sa.String(length=10), nullable=False),
    sa.Column('because', sa.String(length=240), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations_entries'))
    )
    with op.batch_alter_table('recommendations_entries', schema=None) as batch_op:
        batch_op.create_index('ix_recommendations_entries_owner_position', ['owner', 'position'], unique=False)

    op.create_table('recommendations_dismissals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recommendations_dismissals_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations_dismissals')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_recommendations_dismissals_user_id_key'))
    )
    op.create_table('recommendations_resets',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recommendations_resets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_recommendations_resets'))
    )
    op.create_table('recommendations_taken',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('keys', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recommendations_taken_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_recommendations_taken'))
    )


def downgrade():
    op.drop_table('recommendations_taken')
    op.drop_table('recommendations_resets')
    op.drop_table('recommendations_dismissals')
    with op.batch_alter_table('recommendations_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendations_entries_owner_position')

    op.drop_table('recommendations_entries')
    op.drop_table('recommendations_cards')
