"""forums: a circle's cover is an uploaded picture, no longer an external URL

Existing external URLs are dropped rather than fetched (a migration never goes online, and
serving them kept every visitor's browser calling that host): those circles show their
generated cover until the owner uploads one. Downgrading restores empty URLs.

Revision ID: forums_0002_circle_covers
Revises: forums_0001
Create Date: 2026-12-06 01:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'forums_0002_circle_covers'
down_revision = 'forums_0001'
branch_labels = None
depends_on = "0010_product_covers"


def upgrade():
    with op.batch_alter_table('forums_circles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover', sa.String(length=64), nullable=True))
        batch_op.drop_column('cover_url')


def downgrade():
    with op.batch_alter_table('forums_circles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_url', sa.String(length=500), nullable=False, server_default=''))
        batch_op.drop_column('cover')
