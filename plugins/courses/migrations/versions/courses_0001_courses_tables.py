"""courses tables

Revision ID: courses_0001
Revises:
Create Date: 2026-11-30 01:35:55.214178

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'courses_0001'
down_revision = None
branch_labels = ('courses',)
depends_on = "0003_commerce"


def upgrade():
    op.create_table('courses_courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('creator_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('membership_product_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('subtitle', sa.String(length=240), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('tags', sa.String(length=240), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=20), nullable=False),
    sa.Column('cover', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('publish_at', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('certificates', sa.Boolean(), nullable=False),
    sa.Column('learner_count', sa.Integer(), nullable=False),
    sa.Column('rating_count', sa.Integer(), nullable=False),
    sa.Column('rating_sum', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['creator_id'], ['users.id'], name=op.f('fk_courses_courses_creator_id_users')),
    sa.ForeignKeyConstraint(['membership_product_id'], ['products.id'], name=op.f('fk_courses_courses_membership_product_id_products')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_courses_courses_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_courses'))
    )
    with op.batch_alter_table('courses_courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_courses_creator_id'), ['creator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_courses_product_id'), ['product_id'], unique=False)
        batch_op.create_index('ix_courses_courses_status_publish_at', ['status', 'publish_at'], unique=False)

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

    op.create_table('courses_chapters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses_courses.id'], name=op.f('fk_courses_chapters_course_id_courses_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_chapters'))
    )
    with op.batch_alter_table('courses_chapters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_chapters_course_id'), ['course_id'], unique=False)

    op.create_table('courses_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('helpful_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_courses_reviews_rating_range')),
    sa.ForeignKeyConstraint(['course_id'], ['courses_courses.id'], name=op.f('fk_courses_reviews_course_id_courses_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_courses_reviews_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_reviews')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_courses_reviews_course_id_user_id'))
    )
    with op.batch_alter_table('courses_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_reviews_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_reviews_user_id'), ['user_id'], unique=False)

    op.create_table('courses_helpful_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['courses_reviews.id'], name=op.f('fk_courses_helpful_votes_review_id_courses_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_courses_helpful_votes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_helpful_votes')),
    sa.UniqueConstraint('review_id', 'user_id', name=op.f('uq_courses_helpful_votes_review_id_user_id'))
    )
    with op.batch_alter_table('courses_helpful_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_helpful_votes_user_id'), ['user_id'], unique=False)

    op.create_table('courses_lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('chapter_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('media', sa.String(length=64), nullable=True),
    sa.Column('media_type', sa.String(length=60), nullable=True),
    sa.Column('media_name', sa.String(length=200), nullable=True),
    sa.Column('media_size', sa.Integer(), nullable=True),
    sa.Column('embed_url', sa.String(length=500), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('preview', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('opens_after_days', sa.Integer(), nullable=True),
    sa.Column('opens_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['chapter_id'], ['courses_chapters.id'], name=op.f('fk_courses_lessons_chapter_id_courses_chapters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['courses_courses.id'], name=op.f('fk_courses_lessons_course_id_courses_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_lessons'))
    )
    with op.batch_alter_table('courses_lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_lessons_chapter_id'), ['chapter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_lessons_course_id'), ['course_id'], unique=False)

    op.create_table('courses_completions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses_courses.id'], name=op.f('fk_courses_completions_course_id_courses_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lesson_id'], ['courses_lessons.id'], name=op.f('fk_courses_completions_lesson_id_courses_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_courses_completions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_completions')),
    sa.UniqueConstraint('lesson_id', 'user_id', name=op.f('uq_courses_completions_lesson_id_user_id'))
    )
    with op.batch_alter_table('courses_completions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_completions_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_completions_user_id'), ['user_id'], unique=False)

    op.create_table('courses_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_lesson_id', sa.Integer(), nullable=True),
    sa.Column('completed_count', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('certificate_code', sa.String(length=24), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses_courses.id'], name=op.f('fk_courses_enrolments_course_id_courses_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['last_lesson_id'], ['courses_lessons.id'], name=op.f('fk_courses_enrolments_last_lesson_id_courses_lessons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_courses_enrolments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses_enrolments')),
    sa.UniqueConstraint('certificate_code', name=op.f('uq_courses_enrolments_certificate_code')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_courses_enrolments_course_id_user_id'))
    )
    with op.batch_alter_table('courses_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_enrolments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_courses_enrolments_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('courses_enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_enrolments_user_id'))
        batch_op.drop_index(batch_op.f('ix_courses_enrolments_course_id'))

    op.drop_table('courses_enrolments')
    with op.batch_alter_table('courses_completions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_completions_user_id'))
        batch_op.drop_index(batch_op.f('ix_courses_completions_lesson_id'))

    op.drop_table('courses_completions')
    with op.batch_alter_table('courses_lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_lessons_course_id'))
        batch_op.drop_index(batch_op.f('ix_courses_lessons_chapter_id'))

    op.drop_table('courses_lessons')
    with op.batch_alter_table('courses_helpful_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_helpful_votes_user_id'))

    op.drop_table('courses_helpful_votes')
    with op.batch_alter_table('courses_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_reviews_user_id'))
        batch_op.drop_index(batch_op.f('ix_courses_reviews_course_id'))

    op.drop_table('courses_reviews')
    with op.batch_alter_table('courses_chapters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_chapters_course_id'))

    op.drop_table('courses_chapters')
    with op.batch_alter_table('courses_former_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_former_products_product_id'))

    op.drop_table('courses_former_products')
    with op.batch_alter_table('courses_courses', schema=None) as batch_op:
        batch_op.drop_index('ix_courses_courses_status_publish_at')
        batch_op.drop_index(batch_op.f('ix_courses_courses_product_id'))
        batch_op.drop_index(batch_op.f('ix_courses_courses_creator_id'))

    op.drop_table('courses_courses')
