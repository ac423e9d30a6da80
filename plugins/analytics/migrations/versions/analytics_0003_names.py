"""analytics: names and owners of circles, courses and topics; topic starts (time to first reply);
the daily rollups keyed by (metric, dim, day) with a named index by metric and day

Revision ID: analytics_0003
Revises: analytics_0002
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'analytics_0003'
down_revision = 'analytics_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('analytics_names',
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('kind', 'item', name=op.f('pk_analytics_names'))
    )
    with op.batch_alter_table('analytics_names', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_names_owner_id_kind', ['owner_id', 'kind'], unique=False)
    op.create_table('analytics_topic_starts',
    sa.Column('topic_id', sa.String(length=64), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('topic_id', name=op.f('pk_analytics_topic_starts'))
    )
    _rekey(("metric", "dim", "day"), ("ix_analytics_daily_metric_dim_day", "ix_analytics_daily_metric_day_dim_value"),
           ("metric", "day", "dim", "value"))


def _rekey(key: tuple[str, ...], indexes: tuple[str, str], indexed: tuple[str, ...]) -> None:
    """Key analytics_daily by ``key`` and replace index ``indexes[0]`` by ``indexes[1]`` on ``indexed``."""
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(indexes[0], table_name="analytics_daily")
        op.drop_constraint("pk_analytics_daily", "analytics_daily", type_="primary")
        op.create_primary_key("pk_analytics_daily", "analytics_daily", list(key))
        op.create_index(indexes[1], "analytics_daily", list(indexed))
        return
    # SQLite cannot change a table's key: copy the rows into a new table.
    op.execute("CREATE TABLE analytics_daily_new (day DATE NOT NULL, metric VARCHAR(40) NOT NULL, "
               "dim VARCHAR(120) NOT NULL, value BIGINT NOT NULL, "
               f"CONSTRAINT pk_analytics_daily PRIMARY KEY ({', '.join(key)}))")
    op.execute("INSERT INTO analytics_daily_new (day, metric, dim, value) "
               f"SELECT day, metric, dim, value FROM analytics_daily ORDER BY {', '.join(key)}")
    op.execute("DROP TABLE analytics_daily")
    op.execute("ALTER TABLE analytics_daily_new RENAME TO analytics_daily")
    op.create_index(indexes[1], "analytics_daily", list(indexed))


def downgrade():
    _rekey(("day", "metric", "dim"), ("ix_analytics_daily_metric_day_dim_value", "ix_analytics_daily_metric_dim_day"),
           ("metric", "dim", "day"))
    op.drop_table('analytics_topic_starts')
    with op.batch_alter_table('analytics_names', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_names_owner_id_kind')
    op.drop_table('analytics_names')
