"""forums: circles, topics, posts, polls

Revision ID: forums_0001
Revises:
Create Date: 2026-11-30 01:36:27.710371

"""
from alembic import op
import sqlalchemy as sa


revision = 'forums_0001'
down_revision = None
branch_labels = ('forums',)
depends_on = "0003_commerce"


def upgrade():
    op.create_table('forums_watches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=10), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_forums_watches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_watches')),
    sa.UniqueConstraint('user_id', 'target', 'target_id', name=op.f('uq_forums_watches_user_id_target_target_id'))
    )
    with op.batch_alter_table('forums_watches', schema=None) as batch_op:
        batch_op.create_index('ix_forums_watches_target', ['target', 'target_id'], unique=False)

    op.create_table('forums_circles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('cover_url', sa.String(length=500), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('creator_id', sa.Integer(), nullable=True),
    sa.Column('approve_first_posts', sa.Boolean(), nullable=False),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('topic_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['creator_id'], ['users.id'], name=op.f('fk_forums_circles_creator_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_forums_circles_product_id_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_circles'))
    )
    op.create_table('forums_best_of_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['circle_id'], ['forums_circles.id'], name=op.f('fk_forums_best_of_runs_circle_id_forums_circles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_best_of_runs')),
    sa.UniqueConstraint('circle_id', 'week', name=op.f('uq_forums_best_of_runs_circle_id_week'))
    )
    op.create_table('forums_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('banned', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('approved_posts', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['circle_id'], ['forums_circles.id'], name=op.f('fk_forums_memberships_circle_id_forums_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_forums_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_memberships')),
    sa.UniqueConstraint('circle_id', 'user_id', name=op.f('uq_forums_memberships_circle_id_user_id'))
    )
    with op.batch_alter_table('forums_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forums_memberships_user_id'), ['user_id'], unique=False)

    op.create_table('forums_topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=15), nullable=False),
    sa.Column('tags', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('accepted_post_id', sa.Integer(), nullable=True),
    sa.Column('featured_at', sa.DateTime(), nullable=True),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('reply_count', sa.Integer(), nullable=False),
    sa.Column('like_count', sa.Integer(), nullable=False),
    sa.Column('bumped_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_forums_topics_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['circle_id'], ['forums_circles.id'], name=op.f('fk_forums_topics_circle_id_forums_circles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_topics'))
    )
    with op.batch_alter_table('forums_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forums_topics_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_forums_topics_featured', ['circle_id', 'featured_at', 'id'], unique=False)
        batch_op.create_index('ix_forums_topics_latest', ['circle_id', 'status', 'bumped_at', 'id'], unique=False)

    op.create_table('forums_polls',
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('multiple', sa.Boolean(), nullable=False),
    sa.Column('results_after', sa.String(length=10), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=True),
    sa.Column('voters', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['forums_topics.id'], name=op.f('fk_forums_polls_topic_id_forums_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('topic_id', name=op.f('pk_forums_polls'))
    )
    op.create_table('forums_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('hold_reason', sa.String(length=40), nullable=False),
    sa.Column('quote_of_id', sa.Integer(), nullable=True),
    sa.Column('like_count', sa.Integer(), nullable=False),
    sa.Column('flag_count', sa.Integer(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_forums_posts_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['circle_id'], ['forums_circles.id'], name=op.f('fk_forums_posts_circle_id_forums_circles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quote_of_id'], ['forums_posts.id'], name=op.f('fk_forums_posts_quote_of_id_forums_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['forums_topics.id'], name=op.f('fk_forums_posts_topic_id_forums_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_posts')),
    sa.UniqueConstraint('topic_id', 'number', name=op.f('uq_forums_posts_topic_id_number'))
    )
    with op.batch_alter_table('forums_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forums_posts_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_forums_posts_queue', ['circle_id', 'status'], unique=False)

    op.create_table('forums_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['forums_topics.id'], name=op.f('fk_forums_reads_topic_id_forums_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_forums_reads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_reads')),
    sa.UniqueConstraint('user_id', 'topic_id', name=op.f('uq_forums_reads_user_id_topic_id'))
    )
    with op.batch_alter_table('forums_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forums_reads_topic_id'), ['topic_id'], unique=False)

    op.create_table('forums_ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['forums_polls.topic_id'], name=op.f('fk_forums_ballots_topic_id_forums_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_forums_ballots_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_ballots')),
    sa.UniqueConstraint('topic_id', 'user_id', name=op.f('uq_forums_ballots_topic_id_user_id'))
    )
    with op.batch_alter_table('forums_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forums_ballots_user_id'), ['user_id'], unique=False)

    op.create_table('forums_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['forums_posts.id'], name=op.f('fk_forums_flags_post_id_forums_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_forums_flags_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_flags')),
    sa.UniqueConstraint('post_id', 'user_id', name=op.f('uq_forums_flags_post_id_user_id'))
    )
    with op.batch_alter_table('forums_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forums_flags_user_id'), ['user_id'], unique=False)

    op.create_table('forums_likes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['forums_posts.id'], name=op.f('fk_forums_likes_post_id_forums_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_forums_likes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_likes')),
    sa.UniqueConstraint('post_id', 'user_id', name=op.f('uq_forums_likes_post_id_user_id'))
    )
    with op.batch_alter_table('forums_likes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forums_likes_user_id'), ['user_id'], unique=False)

    op.create_table('forums_poll_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('votes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['forums_polls.topic_id'], name=op.f('fk_forums_poll_options_topic_id_forums_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forums_poll_options'))
    )
    with op.batch_alter_table('forums_poll_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forums_poll_options_topic_id'), ['topic_id'], unique=False)



def downgrade():
    with op.batch_alter_table('forums_poll_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forums_poll_options_topic_id'))

    op.drop_table('forums_poll_options')
    with op.batch_alter_table('forums_likes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forums_likes_user_id'))

    op.drop_table('forums_likes')
    with op.batch_alter_table('forums_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forums_flags_user_id'))

    op.drop_table('forums_flags')
    with op.batch_alter_table('forums_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forums_ballots_user_id'))

    op.drop_table('forums_ballots')
    with op.batch_alter_table('forums_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forums_reads_topic_id'))

    op.drop_table('forums_reads')
    with op.batch_alter_table('forums_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_forums_posts_queue')
        batch_op.drop_index(batch_op.f('ix_forums_posts_author_id'))

    op.drop_table('forums_posts')
    op.drop_table('forums_polls')
    with op.batch_alter_table('forums_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_forums_topics_latest')
        batch_op.drop_index('ix_forums_topics_featured')
        batch_op.drop_index(batch_op.f('ix_forums_topics_author_id'))

    op.drop_table('forums_topics')
    with op.batch_alter_table('forums_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forums_memberships_user_id'))

    op.drop_table('forums_memberships')
    op.drop_table('forums_best_of_runs')
    op.drop_table('forums_circles')
    with op.batch_alter_table('forums_watches', schema=None) as batch_op:
        batch_op.drop_index('ix_forums_watches_target')

    op.drop_table('forums_watches')
