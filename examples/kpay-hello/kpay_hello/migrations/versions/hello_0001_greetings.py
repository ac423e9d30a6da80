"""hello: greetings table

Revision ID: hello_0001
Revises:
Create Date: 2026-11-22 04:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "hello_0001"
down_revision = None
branch_labels = ("hello",)
depends_on = "0001_core"


def upgrade():
    op.create_table(
        "hello_greetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=280), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_hello_greetings_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hello_greetings")),
        sa.UniqueConstraint("key", name=op.f("uq_hello_greetings_key")),
    )


def downgrade():
    op.drop_table("hello_greetings")
