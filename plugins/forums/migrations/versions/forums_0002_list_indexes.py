"""forums: indexes that answer every topic list in its own order

Revision ID: forums_0002
Revises: forums_0001
Create Date: 2026-12-06 01:50:00

The latest list of a circle (pinned ones apart), the top and the unanswered lists, and the
widgets over several circles (active discussions, unanswered questions) each read their
first rows straight from an index, so a page costs the same in a circle of 20 topics or 20,000.
"""
import sqlalchemy as sa
from alembic import op


revision = 'forums_0002'
down_revision = 'forums_0001'
branch_labels = None
depends_on = None

UNANSWERED = sa.text("kind = 'question' AND accepted_post_id IS NULL")


def upgrade():
    with op.batch_alter_table('forums_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_forums_topics_latest')
        batch_op.create_index('ix_forums_topics_latest', ['circle_id', 'status', 'pinned', 'bumped_at', 'id'], unique=False)
        batch_op.create_index('ix_forums_topics_active', ['status', 'bumped_at', 'id'], unique=False)
        batch_op.create_index('ix_forums_topics_top', ['circle_id', 'status', 'like_count', 'id'], unique=False)
        batch_op.create_index('ix_forums_topics_unanswered', ['circle_id', 'status', 'created_at', 'id'], unique=False,
                              sqlite_where=UNANSWERED, postgresql_where=UNANSWERED)
        batch_op.create_index('ix_forums_topics_unanswered_all', ['status', 'created_at', 'id'], unique=False,
                              sqlite_where=UNANSWERED, postgresql_where=UNANSWERED)


def downgrade():
    with op.batch_alter_table('forums_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_forums_topics_unanswered_all')
        batch_op.drop_index('ix_forums_topics_unanswered')
        batch_op.drop_index('ix_forums_topics_top')
        batch_op.drop_index('ix_forums_topics_active')
        batch_op.drop_index('ix_forums_topics_latest')
        batch_op.create_index('ix_forums_topics_latest', ['circle_id', 'status', 'bumped_at', 'id'], unique=False)
