"""lesson media processing: sizes past 2 GB, status, probe figures, poster and HLS folder

Revision ID: courses_0002
Revises: courses_0001
Create Date: 2026-12-06 01:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'courses_0002'
down_revision = 'courses_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses_lessons') as batch_op:
        batch_op.alter_column('media_size', existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True)
        batch_op.add_column(sa.Column('media_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('media_progress', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('media_error', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('media_info', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('poster', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hls', sa.String(length=64), nullable=True))
    with op.batch_alter_table('courses_lessons') as batch_op:
        batch_op.alter_column('media_progress', server_default=None)


def downgrade():
    with op.batch_alter_table('courses_lessons') as batch_op:
        for column in ('hls', 'poster', 'media_info', 'media_error', 'media_progress', 'media_status'):
            batch_op.drop_column(column)
        batch_op.alter_column('media_size', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True)
