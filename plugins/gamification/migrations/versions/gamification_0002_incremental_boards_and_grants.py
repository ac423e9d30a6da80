"""incremental boards and grants

Daily and all-time points rollups with the boards sweep's mark, and the grants index that
reversals look up (filled from the ledger's existing ``gam:`` keys).

Revision ID: gamification_0002
Revises: gamification_0001
Create Date: 2026-12-06 06:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'gamification_0002'
down_revision = 'gamification_0001'
branch_labels = None
depends_on = None

_GRANT = re.compile(r"^gam:([a-z_]+):c\d+:(.+):u\d+$")


def upgrade():
    op.create_table('gamification_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_gamification_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gamification_grants')),
    sa.UniqueConstraint('key', name=op.f('uq_gamification_grants_key'))
    )
    with op.batch_alter_table('gamification_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gamification_grants_subject'), ['subject'], unique=False)

    op.create_table('gamification_point_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_gamification_point_days_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gamification_point_days')),
    sa.UniqueConstraint('day', 'circle_id', 'user_id', name=op.f('uq_gamification_point_days_day_circle_id_user_id'))
    )
    op.create_table('gamification_point_totals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_gamification_point_totals_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gamification_point_totals')),
    sa.UniqueConstraint('circle_id', 'user_id', name=op.f('uq_gamification_point_totals_circle_id_user_id'))
    )
    op.create_table('gamification_sweep_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gamification_sweep_marks')),
    sa.UniqueConstraint('name', name=op.f('uq_gamification_sweep_marks_name'))
    )
    _fill_grants()


def _fill_grants():
    """One grant row per positive ``gam:`` ledger entry made before this revision (once)."""
    connection = op.get_bind()
    grants = sa.table('gamification_grants', sa.column('key'), sa.column('rule'), sa.column('subject'),
                      sa.column('item'), sa.column('user_id'))
    rows = connection.execute(sa.text(
        "SELECT key, user_id FROM points_entries WHERE key LIKE 'gam:%' AND key NOT LIKE 'gam:rev:%' AND amount > 0"))
    chunk = []
    for key, user_id in rows:
        match = _GRANT.match(key)
        if match:
            rule, item = match.groups()
            chunk.append({"key": key, "rule": rule, "subject": ":".join(item.split(":", 2)[:2]), "item": item,
                          "user_id": user_id})
    for start in range(0, len(chunk), 10_000):
        connection.execute(sa.insert(grants), chunk[start:start + 10_000])


def downgrade():
    op.drop_table('gamification_sweep_marks')
    op.drop_table('gamification_point_totals')
    op.drop_table('gamification_point_days')
    with op.batch_alter_table('gamification_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gamification_grants_subject'))

    op.drop_table('gamification_grants')
