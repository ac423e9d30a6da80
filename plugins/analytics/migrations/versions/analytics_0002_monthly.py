"""analytics: monthly rollups beside the daily ones

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-12-06 06:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'analytics_0002'
down_revision = 'analytics_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('analytics_monthly',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('dim', sa.String(length=120), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'metric', 'dim', name=op.f('pk_analytics_monthly'))
    )
    with op.batch_alter_table('analytics_monthly', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_monthly_metric_dim_month', ['metric', 'dim', 'month'], unique=False)
    # Fill it from the daily rows the job kept so far.
    op.execute(FILL_POSTGRESQL if op.get_bind().dialect.name == "postgresql" else FILL_SQLITE)


FILL_POSTGRESQL = (
    "INSERT INTO analytics_monthly (month, metric, dim, value) SELECT month, metric, dim, sum(value) "
    "FROM (SELECT CAST(date_trunc('month', day) AS DATE) AS month, metric, dim, value FROM analytics_daily) AS days "
    "GROUP BY month, metric, dim"
)
FILL_SQLITE = (
    "INSERT INTO analytics_monthly (month, metric, dim, value) SELECT month, metric, dim, sum(value) "
    "FROM (SELECT date(day, 'start of month') AS month, metric, dim, value FROM analytics_daily) AS days "
    "GROUP BY month, metric, dim"
)

def downgrade():
    with op.batch_alter_table('analytics_monthly', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_monthly_metric_dim_month')
    op.drop_table('analytics_monthly')
