"""a lesson made of another plugin's content (a live lecture): its resource key

Revision ID: courses_0003
Revises: courses_0002
Create Date: 2026-12-06 08:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'courses_0003'
down_revision = 'courses_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses_lessons') as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_courses_lessons_source'), ['source'], unique=False)


def downgrade():
    with op.batch_alter_table('courses_lessons') as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_lessons_source'))
        batch_op.drop_column('source')
