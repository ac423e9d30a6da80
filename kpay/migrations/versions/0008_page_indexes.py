"""notifications: an index in the order the member's list shows them

Revision ID: 0008_page_indexes
Revises: 0007_admin_members_indexes
Create Date: 2026-12-06 02:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_page_indexes'
down_revision = '0007_admin_members_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_notifications_user_id_created_at', 'notifications', ['user_id', 'created_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_notifications_user_id_created_at', table_name='notifications')
