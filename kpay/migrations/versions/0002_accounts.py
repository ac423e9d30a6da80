"""accounts: profiles, moderation, e-mail

Revision ID: 0002_accounts
Revises: 0001_core
Create Date: 2026-11-22 04:01:29.393363

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_accounts'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_messages')),
    sa.UniqueConstraint('key', name=op.f('uq_email_messages_key'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bio', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('avatar', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('interests', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('digest', sa.String(length=10), nullable=False, server_default='weekly'))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('email_confirmed_at')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('digest')
        batch_op.drop_column('interests')
        batch_op.drop_column('avatar')
        batch_op.drop_column('bio')

    op.drop_table('email_messages')
