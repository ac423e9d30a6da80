"""jobs keep the queuing request's address and the setting they lack; notifications keep
their translatable message

Revision ID: 0005_jobs_base_url_messages
Revises: 0004_commerce_records
Create Date: 2026-12-06 01:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_jobs_base_url_messages'
down_revision = '0004_commerce_records'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_url', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('needs_setting', sa.String(length=100), nullable=True))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('message')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('needs_setting')
        batch_op.drop_column('base_url')
