"""reviews: indexes for a course's most helpful reviews and its count of each rating

Revision ID: courses_0004
Revises: courses_0003
Create Date: 2026-12-06 08:25:00

"""
from alembic import op


revision = 'courses_0004'
down_revision = 'courses_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_courses_reviews_course_helpful', 'courses_reviews', ['course_id', 'helpful_count', 'id'])
    op.create_index('ix_courses_reviews_course_rating', 'courses_reviews', ['course_id', 'rating'])


def downgrade():
    op.drop_index('ix_courses_reviews_course_rating', table_name='courses_reviews')
    op.drop_index('ix_courses_reviews_course_helpful', table_name='courses_reviews')
