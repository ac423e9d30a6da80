"""notifications: an index in the order the member's list shows them

Revision ID: 0007_page_indexes
Revises: 0006_admin_members_indexes, 0005_jobs_base_url_messages
Create Date: 2026-12-06 02:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_page_indexes'
down_revision = ('0006_admin_members_indexes', '0005_jobs_base_url_messages')  # also joins the two 0005 lines
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_notifications_user_id_created_at', 'notifications', ['user_id', 'created_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_notifications_user_id_created_at', table_name='notifications')
