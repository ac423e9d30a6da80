"""lectures replay files

Revision ID: lectures_0002
Revises: lectures_0001
Create Date: 2026-12-06 06:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'lectures_0002'
down_revision = 'lectures_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lectures_lectures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replay_file', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('replay_type', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('replay_size', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('lectures_lectures', schema=None) as batch_op:
        batch_op.drop_column('replay_size')
        batch_op.drop_column('replay_type')
        batch_op.drop_column('replay_file')
