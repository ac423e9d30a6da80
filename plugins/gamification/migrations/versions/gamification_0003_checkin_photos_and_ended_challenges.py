"""check-in photos and ended challenges

A check-in's photo (a WebP in the storage folder ``checkins``), and the day a challenge was
ended early.

Revision ID: gamification_0003
Revises: gamification_0002
Create Date: 2026-12-06 08:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'gamification_0003'
down_revision = 'gamification_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gamification_checkins') as batch_op:
        batch_op.add_column(sa.Column('photo', sa.String(length=40), nullable=True))
    with op.batch_alter_table('gamification_challenges') as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('gamification_challenges') as batch_op:
        batch_op.drop_column('ended_on')
    with op.batch_alter_table('gamification_checkins') as batch_op:
        batch_op.drop_column('photo')
