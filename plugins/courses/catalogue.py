"""What the catalogue, the course page and the lesson page read, each in a fixed number of
queries whatever the number of lessons or learners."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from kpay.api import Page, Product, User, db, paginate, utcnow
from plugins.courses.access import Creator, bought, product_ids
from plugins.courses.models import Chapter, Completion, Course, CourseFacts, Enrolment, Lesson, Review


class CardCourse(NamedTuple):
    id: int
    title: str
    subtitle: str
    cover: str | None
    creator_id: int
    level: str
    language: str
    tags: str
    rating_count: int
    rating_sum: int
    learner_count: int
    product_id: int | None
    membership_product_id: int | None


class CardRow(CardCourse, CourseFacts):
    """What a catalogue card shows of a course, read as a plain row."""

    __slots__ = ()


class Price(NamedTuple):
    """What a card's price shows of the course's product (``commerce/_price.html``)."""

    kind: str
    price_minor: int
    currency: str
    period_days: int | None


class Card(NamedTuple):
    """A course in the catalogue: the course, its creator and its product (None: free or
    membership only), plain rows a card's kept HTML is keyed on."""

    course: CardRow
    creator: Creator
    price: Price | None


CARD_COLUMNS = tuple(getattr(Course, name) for name in CardCourse._fields)
CARD_WIDTH = len(CARD_COLUMNS) + len(Creator._fields)


def _card(row: tuple) -> Card:
    price = row[CARD_WIDTH:]
    return Card(CardRow(*row[:len(CARD_COLUMNS)]), Creator(*row[len(CARD_COLUMNS):CARD_WIDTH]),
                Price(*price) if price[0] is not None else None)


def published(now=None):
    now = now or utcnow()
    return sa.and_(Course.status == "published", sa.or_(Course.publish_at.is_(None), Course.publish_at <= now))


def cards(values: dict, per_page: int) -> Page:
    """One page of published courses filtered and sorted by ``values`` (the filter form's)."""
    query = (
        sa.select(*CARD_COLUMNS, User.id, User.display_name, User.avatar,
                  Product.kind, Product.price_minor, Product.currency, Product.period_days)
        .join(User, User.id == Course.creator_id)
        .outerjoin(Product, Product.id == Course.product_id)
        .where(published())
    )
    if values.get("tag"):
        query = query.where(Course.tags.contains(values["tag"], autoescape=True))
    if values.get("level"):
        query = query.where(Course.level == values["level"])
    if values.get("price") == "free":
        query = query.where(Course.product_id.is_(None), Course.membership_product_id.is_(None))
    elif values.get("price") == "paid":
        query = query.where(sa.or_(Course.product_id.is_not(None), Course.membership_product_id.is_not(None)))
    if values.get("creator"):
        query = query.where(Course.creator_id == values["creator"])
    average = sa.cast(Course.rating_sum, sa.Float) / sa.case((Course.rating_count == 0, 1), else_=Course.rating_count)
    keys = {
        "popular": [Course.learner_count],
        "rating": [average, Course.rating_count],
    }.get(values.get("sort"), [])
    page = paginate(query, "courses.catalogue", values, (*keys, Course.id), descending=True, per_page=per_page)
    return dataclasses.replace(page, rows=[_card(row) for row in page.rows])


class ChapterRow(NamedTuple):
    id: int
    title: str


class LessonRow(NamedTuple):
    """What the syllabus knows of a lesson (not its body or media), read as a plain row."""

    id: int
    course_id: int
    chapter_id: int
    title: str
    kind: str
    minutes: int
    preview: bool
    position: int
    opens_at: datetime | None
    opens_after_days: int | None


@dataclass
class Syllabus:
    """A course's chapters with their lessons in order, and the ids of the lessons the member
    it was read for completed."""

    chapters: list[tuple[ChapterRow, list[LessonRow]]]
    done: set[int] = field(default_factory=set)

    @property
    def lessons(self) -> list[LessonRow]:
        return [lesson for _, lessons in self.chapters for lesson in lessons]

    def neighbours(self, lesson_id: int) -> tuple[LessonRow | None, LessonRow | None]:
        """The lessons before and after ``lesson_id`` in the syllabus."""
        order = self.lessons
        ids = [lesson.id for lesson in order]
        at = ids.index(lesson_id)
        return (order[at - 1] if at > 0 else None), (order[at + 1] if at + 1 < len(order) else None)

    @property
    def minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


SYLLABUS_COLUMNS = tuple(getattr(Lesson, name) for name in LessonRow._fields)


def syllabus(course_id: int, user_id: int | None = None) -> Syllabus:
    """The syllabus of ``course_id`` in one query, with what member ``user_id`` completed."""
    rows = db.session.execute(_syllabus_statement(user_id is not None), {"course_id": course_id, "uid": user_id})
    by_chapter: dict[ChapterRow, list[LessonRow]] = {}
    completed = set()
    width = len(SYLLABUS_COLUMNS)
    for row in rows:
        lessons = by_chapter.setdefault(ChapterRow(*row[:2]), [])
        if row[2] is not None:
            lesson = LessonRow(*row[2:2 + width])
            lessons.append(lesson)
            if row[-1]:
                completed.add(lesson.id)
    return Syllabus(list(by_chapter.items()), completed)


@functools.cache
def _syllabus_statement(member: bool):
    query = (sa.select(Chapter.id, Chapter.title, *SYLLABUS_COLUMNS, Completion.id if member else sa.null())
             .outerjoin(Lesson, Lesson.chapter_id == Chapter.id).where(Chapter.course_id == sa.bindparam("course_id"))
             .order_by(Chapter.position, Chapter.id, Lesson.position, Lesson.id))
    if member:  # one completion per member and lesson: a join, not a subquery per lesson
        query = query.outerjoin(Completion, sa.and_(Completion.lesson_id == Lesson.id,
                                                    Completion.user_id == sa.bindparam("uid")))
    return query


def learner(course_id: int, user) -> tuple[Enrolment | None, Review | None]:
    """``user``'s enrolment in ``course_id`` and their review of it, in one query."""
    if not user.is_authenticated:
        return None, None
    row = db.session.execute(
        sa.select(Enrolment, Review).outerjoin(Review, sa.and_(
            Review.course_id == Enrolment.course_id, Review.user_id == Enrolment.user_id))
        .where(Enrolment.course_id == course_id, Enrolment.user_id == user.id)
    ).first()
    return (row[0], row[1]) if row else (None, None)


class ReviewText(NamedTuple):
    id: int
    user_id: int
    rating: int
    text: str
    reply: str
    helpful_count: int


class ReviewRow(NamedTuple):
    """A review as the course page shows it: the review, its author, how far the author got
    (percent; None when not enrolled) and whether they bought the course."""

    review: ReviewText
    author: Creator
    percent: int | None
    purchased: bool


REVIEW_COLUMNS = tuple(getattr(Review, name) for name in ReviewText._fields)


def reviews(course_id: int, limit: int = 20) -> tuple[list[ReviewRow], dict[int, int]]:
    """The most helpful reviews (``ReviewRow``), and how many reviews gave each number of
    stars (5 to 1). One statement: the counts ride on each row as uncorrelated subqueries,
    which the database evaluates once."""
    rows = db.session.execute(_reviews_statement(), {
        "course_id": course_id, "limit": limit, "products": product_ids(course_id) or []}).all()
    counts = rows[0][-5:] if rows else (0,) * 5
    width, author = len(REVIEW_COLUMNS), len(REVIEW_COLUMNS) + len(Creator._fields)
    return ([ReviewRow(ReviewText(*row[:width]), Creator(*row[width:author]), row[author], bool(row[author + 1]))
             for row in rows], dict(zip(range(5, 0, -1), counts, strict=False)))


@functools.cache
def _reviews_statement():
    """The page of reviews is cut first and whether each author bought the course asked of
    those rows only: asked of every review, PostgreSQL hashes all the orders of the course's
    products instead (10 ms for 11,000 orders)."""
    course_id = sa.bindparam("course_id")
    stars = [sa.select(sa.func.count()).where(Review.course_id == course_id, Review.rating == n).scalar_subquery()
             for n in range(5, 0, -1)]
    shown = (
        sa.select(*REVIEW_COLUMNS, User.id.label("author_id"), User.display_name, User.avatar, Enrolment.percent)
        .join(User, User.id == Review.user_id)
        .outerjoin(Enrolment, sa.and_(Enrolment.course_id == Review.course_id, Enrolment.user_id == Review.user_id))
        .where(Review.course_id == course_id)
        .order_by(Review.helpful_count.desc(), Review.id.desc()).limit(sa.bindparam("limit", type_=sa.Integer))
    ).subquery()
    purchased = bought(sa.bindparam("products", expanding=True), shown.c.user_id)
    return sa.select(*shown.c, purchased, *stars).order_by(shown.c.helpful_count.desc(), shown.c.id.desc())


def distribution(course_id: int) -> dict[int, int]:
    """How many reviews gave each number of stars, 5 to 1."""
    counts = dict(db.session.execute(
        sa.select(Review.rating, sa.func.count()).where(Review.course_id == course_id).group_by(Review.rating)
    ).all())
    return {stars: counts.get(stars, 0) for stars in range(5, 0, -1)}
