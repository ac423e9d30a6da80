"""courses: former products keep unlocking a course for their buyers

Revision ID: courses_0002
Revises: courses_0001
Create Date: 2026-11-30 02:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'courses_0002'
down_revision = 'courses_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('courses_former_products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses_courses.id'], name=op.f('fk_courses_former_products_course_id_courses_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_courses_former_products_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_former_products')),
    sa.UniqueConstraint('course_id', 'product_id', name=op.f('uq_courses_former_products_course_id_product_id'))
    )
    with op.batch_alter_table('courses_former_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_former_products_product_id'), ['product_id'], unique=False)


def downgrade():
    with op.batch_alter_table('courses_former_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_former_products_product_id'))

    op.drop_table('courses_former_products')
