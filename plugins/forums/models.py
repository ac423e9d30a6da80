"""The forums' tables: circles and their members, topics and posts, likes, flags, read
markers, watches, polls, and the claims that send each weekly best-of once."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kpay.api import User, UTCDateTime, db, utcnow

VISIBILITIES = ("public", "members", "paid")
TOPIC_KINDS = ("discussion", "question", "announcement", "poll")
POST_STATES = ("visible", "pending", "hidden", "deleted")
UNANSWERED = sa.text("kind = 'question' AND accepted_post_id IS NULL")  # partial indexes' condition


class Circle(db.Model):
    """An interest circle: open to everyone, to members of the site, or to buyers of a product."""

    __tablename__ = "forums_circles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    cover: Mapped[str | None] = mapped_column(sa.String(64))  # a name in instance/covers/ (kpay.covers)
    rules: Mapped[str] = mapped_column(sa.Text, default="")
    visibility: Mapped[str] = mapped_column(sa.String(10), default="public")
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="SET NULL"))
    creator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    approve_first_posts: Mapped[bool] = mapped_column(default=False)
    member_count: Mapped[int] = mapped_column(default=0)
    topic_count: Mapped[int] = mapped_column(default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class Membership(db.Model):
    """A member of a circle: ``role`` member or moderator; ``banned`` keeps them from posting."""

    __tablename__ = "forums_memberships"
    __table_args__ = (sa.UniqueConstraint("circle_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_circles.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(10), default="member")
    banned: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)  # False once they left (a ban outlives leaving)
    approved_posts: Mapped[int] = mapped_column(default=0)
    joined_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship(lazy="joined")


class Topic(db.Model):
    """A topic; its opening post is post number 1. Counters are kept with each change."""

    __tablename__ = "forums_topics"
    __table_args__ = (
        # One index per list order, so each list reads its page straight from an index.
        sa.Index("ix_forums_topics_latest", "circle_id", "status", "pinned", "bumped_at", "id"),
        sa.Index("ix_forums_topics_active", "status", "bumped_at", "id"),  # latest of all circles
        sa.Index("ix_forums_topics_top", "circle_id", "status", "like_count", "id"),
        sa.Index("ix_forums_topics_unanswered", "circle_id", "status", "created_at", "id",
                 sqlite_where=UNANSWERED, postgresql_where=UNANSWERED),
        sa.Index("ix_forums_topics_unanswered_all", "status", "created_at", "id",  # of the circles one moderates
                 sqlite_where=UNANSWERED, postgresql_where=UNANSWERED),
        sa.Index("ix_forums_topics_featured", "circle_id", "featured_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_circles.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(15), default="discussion")
    tags: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="visible")
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    featured_at = mapped_column(UTCDateTime)
    accepted_post_id: Mapped[int | None]
    post_count: Mapped[int] = mapped_column(default=0)  # numbers handed out, the opening post included
    reply_count: Mapped[int] = mapped_column(default=0)  # visible replies
    like_count: Mapped[int] = mapped_column(default=0)
    bumped_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Set when what a search index shows of every post changes (title, status, circle), not by
    # replies or likes, so an incremental index does not re-read a long topic for each reply.
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    circle: Mapped[Circle] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User | None] = relationship(lazy="joined")

    @property
    def tag_list(self) -> list[str]:
        """The topic's tags, in the order written."""
        return [t for t in self.tags.split(",") if t]


class Post(db.Model):
    """A post in a topic, numbered from 1 (the opening post) in the order written."""

    __tablename__ = "forums_posts"
    __table_args__ = (
        sa.UniqueConstraint("topic_id", "number"),
        sa.Index("ix_forums_posts_queue", "circle_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_topics.id", ondelete="CASCADE"))
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_circles.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="visible")
    hold_reason: Mapped[str] = mapped_column(sa.String(40), default="")
    quote_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forums_posts.id", ondelete="SET NULL"))
    like_count: Mapped[int] = mapped_column(default=0)
    flag_count: Mapped[int] = mapped_column(default=0)
    edited_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    author: Mapped[User | None] = relationship(lazy="joined")
    topic: Mapped[Topic] = relationship(lazy="select")


class Like(db.Model):
    """A member's like of a post, once."""

    __tablename__ = "forums_likes"
    __table_args__ = (sa.UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Flag(db.Model):
    """A member's flag on a post with a reason, open until a moderator deals with the post."""

    __tablename__ = "forums_flags"
    __table_args__ = (sa.UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_posts.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    open: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ReadMarker(db.Model):
    """How far a member has read a topic: the highest post number they were shown."""

    __tablename__ = "forums_reads"
    __table_args__ = (sa.UniqueConstraint("user_id", "topic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_topics.id", ondelete="CASCADE"), index=True)
    last_number: Mapped[int] = mapped_column(default=0)


class Watch(db.Model):
    """A member watching a topic or a whole circle (``target`` is ``topic`` or ``circle``)."""

    __tablename__ = "forums_watches"
    __table_args__ = (sa.UniqueConstraint("user_id", "target", "target_id"), sa.Index("ix_forums_watches_target", "target", "target_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(sa.String(10))
    target_id: Mapped[int]


class Poll(db.Model):
    """The poll of a poll topic: single or multiple choice, results after voting or closing."""

    __tablename__ = "forums_polls"

    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_topics.id", ondelete="CASCADE"), primary_key=True)
    multiple: Mapped[bool] = mapped_column(default=False)
    results_after: Mapped[str] = mapped_column(sa.String(10), default="vote")  # or "close"
    closes_at = mapped_column(UTCDateTime)
    voters: Mapped[int] = mapped_column(default=0)

    options: Mapped[list["PollOption"]] = relationship(order_by="PollOption.position", lazy="selectin")


class PollOption(db.Model):
    """One answer a poll offers, with its running vote count."""

    __tablename__ = "forums_poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_polls.topic_id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(200))
    votes: Mapped[int] = mapped_column(default=0)


class Ballot(db.Model):
    """A member's one ballot in a poll: the unique constraint is the one-vote rule."""

    __tablename__ = "forums_ballots"
    __table_args__ = (sa.UniqueConstraint("topic_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_polls.topic_id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    choices: Mapped[list] = mapped_column(sa.JSON, default=list)  # option ids
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class BestOfRun(db.Model):
    """Claims one circle's weekly best-of for one ISO week, so it is sent once."""

    __tablename__ = "forums_best_of_runs"
    __table_args__ = (sa.UniqueConstraint("circle_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    circle_id: Mapped[int] = mapped_column(sa.ForeignKey("forums_circles.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(sa.String(10))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
