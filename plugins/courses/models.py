"""The courses plugin's tables: courses, chapters, lessons, enrolments, completions, reviews.

A course is sold through a commerce product (``product_id``; none means free) and may also be
unlocked by a membership product; products it was sold through before stay in
``courses_former_products``, so their buyers keep the course. Counters the catalogue sorts
by (learners, ratings) are kept on the course row, changed by conditional updates in the
transaction that changes their source.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kpay.api import UTCDateTime, db, utcnow

LEVELS = ("beginner", "intermediate", "advanced")
LESSON_KINDS = ("text", "video", "audio", "attachment", "source")
STATUSES = ("draft", "published")


class CourseFacts:
    """What a course's pages work out from its columns, for a ``Course`` and for the
    catalogue's plain rows alike."""

    __slots__ = ()
    product_id: int | None
    membership_product_id: int | None
    rating_count: int
    rating_sum: int
    tags: str

    @property
    def free(self) -> bool:
        return self.product_id is None and self.membership_product_id is None

    @property
    def rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 1) if self.rating_count else None

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]


class Course(CourseFacts, db.Model):
    """A course by ``creator_id``; visible to all once ``status`` is published and
    ``publish_at`` (if set) has passed."""

    __tablename__ = "courses_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"), index=True)
    membership_product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"))
    title: Mapped[str] = mapped_column(sa.String(160))
    subtitle: Mapped[str] = mapped_column(sa.String(240), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    tags: Mapped[str] = mapped_column(sa.String(240), default="")
    level: Mapped[str] = mapped_column(sa.String(20), default="beginner")
    language: Mapped[str] = mapped_column(sa.String(20), default="zh")
    cover: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    publish_at = mapped_column(UTCDateTime)
    published_at = mapped_column(UTCDateTime)  # when course.published was announced, once
    certificates: Mapped[bool] = mapped_column(default=True)
    learner_count: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (sa.Index("ix_courses_courses_status_publish_at", "status", "publish_at"),)

    # Read-only: the course page loads them with the course in one query (access.visible_course).
    creator = relationship("User", viewonly=True)
    product = relationship("Product", foreign_keys=[product_id], viewonly=True)
    membership_product = relationship("Product", foreign_keys=[membership_product_id], viewonly=True)
    former_products = relationship("FormerProduct", viewonly=True)

    @property
    def scheduled(self) -> bool:
        """Published, but to be shown only from a later ``publish_at``."""
        return self.status == "published" and self.publish_at is not None and self.publish_at > utcnow()


class FormerProduct(db.Model):
    """A product that sold or unlocked a course before the creator changed it: it still unlocks
    the course, so those who bought it keep what they paid for."""

    __tablename__ = "courses_former_products"
    __table_args__ = (sa.UniqueConstraint("course_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses_courses.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Chapter(db.Model):
    """A part of a course's syllabus, in ``position`` order."""

    __tablename__ = "courses_chapters"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses_courses.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    position: Mapped[int] = mapped_column(default=0)


class Lesson(db.Model):
    """A lesson: markdown text, an uploaded or embedded video, an audio file, an attachment, or
    another plugin's content (``source``, a resource key such as ``lecture:12``; see the
    ``kpay_lesson_sources`` hook).

    ``preview`` opens it to everyone; ``opens_at`` or ``opens_after_days`` (after the member's
    enrolment) hold it back until then.
    """

    __tablename__ = "courses_lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses_courses.id", ondelete="CASCADE"), index=True)
    chapter_id: Mapped[int] = mapped_column(sa.ForeignKey("courses_chapters.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    kind: Mapped[str] = mapped_column(sa.String(20), default="text")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    media: Mapped[str | None] = mapped_column(sa.String(64))
    media_type: Mapped[str | None] = mapped_column(sa.String(60))
    media_name: Mapped[str | None] = mapped_column(sa.String(200))
    media_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    # A video's processing (plugins.courses.processing): status, percent, the reason it failed,
    # what ffprobe found, its poster frame and its HLS folder once ready.
    media_status: Mapped[str | None] = mapped_column(sa.String(20))
    media_progress: Mapped[int] = mapped_column(default=0)
    media_error: Mapped[str | None] = mapped_column(sa.String(300))
    media_info: Mapped[dict | None] = mapped_column(sa.JSON)
    poster: Mapped[str | None] = mapped_column(sa.String(64))
    hls: Mapped[str | None] = mapped_column(sa.String(64))
    embed_url: Mapped[str | None] = mapped_column(sa.String(500))
    source: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    minutes: Mapped[int] = mapped_column(default=0)
    preview: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    opens_at = mapped_column(UTCDateTime)
    opens_after_days: Mapped[int | None]
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class Enrolment(db.Model):
    """A member taking a course: where they are and how far they got; ``certificate_code``
    is set once they finish a course that gives certificates."""

    __tablename__ = "courses_enrolments"
    __table_args__ = (sa.UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses_courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    last_lesson_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses_lessons.id", ondelete="SET NULL"))
    completed_count: Mapped[int] = mapped_column(default=0)
    percent: Mapped[int] = mapped_column(default=0)
    enrolled_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    completed_at = mapped_column(UTCDateTime)
    certificate_code: Mapped[str | None] = mapped_column(sa.String(24), unique=True)


class Completion(db.Model):
    """A lesson a member completed, once."""

    __tablename__ = "courses_completions"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("courses_lessons.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses_courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Review(db.Model):
    """A member's rating (1–5) and words about a course, one each; the creator may reply."""

    __tablename__ = "courses_reviews"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "user_id"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        # The course page's most helpful reviews (read in this order) and its count of each rating.
        sa.Index("ix_courses_reviews_course_helpful", "course_id", "helpful_count", "id"),
        sa.Index("ix_courses_reviews_course_rating", "course_id", "rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses_courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text, default="")
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    helpful_count: Mapped[int] = mapped_column(default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class HelpfulVote(db.Model):
    """A member found a review helpful, once."""

    __tablename__ = "courses_helpful_votes"
    __table_args__ = (sa.UniqueConstraint("review_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("courses_reviews.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
