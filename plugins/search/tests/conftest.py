"""An app with courses, circles and search on each backend (PostgreSQL only with
KPAY_TEST_DATABASE_URL), a small community whose paid lesson and paid circle carry canary
words, and a ``Searcher`` that reads the search page as one person."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from kpay.extensions import db
from kpay.models.base import utcnow
from kpay.models.commerce import Product
from kpay.testing import Auth, csrf_token
from plugins.courses.models import Chapter, Course, Lesson
from plugins.forums.models import Circle, Membership, Post, Topic
from plugins.search import indexer

PAID_WORD = "zanzibarquux"  # only in the paid lesson's body
PAID_CHINESE = "秘鲁"  # only in the paid lesson's body
CIRCLE_WORD = "quetzalcoatl"  # only in a paid circle's post


def search_config(backend: str) -> dict:
    return {"plugins": {"enabled": ["courses", "forums", "search", "pay_sandbox"],
                        "forums": {"post_rate_limit": "1000/minute"}, "search": {"backend": backend}}}


@pytest.fixture(params=["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def app(make_app, backend):
    return make_app(search_config(backend))


class Searcher:
    """One person (or a visitor) using the search page and the forum's forms."""

    def __init__(self, app, user=None):
        self.client = app.test_client()
        if user is not None:
            Auth(self.client).login(user.email)

    def page(self, q: str = "", **args) -> str:
        response = self.client.get("/search/", query_string={"q": q, **args})
        assert response.status_code == 200, response.status_code
        html = response.get_data(as_text=True)
        response.close()  # runs the jobs it queued (a rebuild), as a server does after responding
        return html

    def titles(self, q: str, **args) -> list[str]:
        """The titles of the hits, as shown (highlights removed)."""
        found = re.findall(r'<h3><a href="[^"]*">(.*?)</a></h3>', self.page(q, **args))
        return [re.sub(r"</?mark>", "", title) for title in found]

    def post(self, url: str, **data):
        token = csrf_token(self.client.get("/forums/"))
        response = self.client.post(url, data={**data, "csrf_token": token})
        response.get_data()
        response.close()  # runs the jobs the request queued, as a server does after responding
        return response

    def start_topic(self, circle_id: int, title: str, body: str) -> int:
        response = self.post(f"/forums/c/{circle_id}/new", title=title, body=body, kind="discussion")
        assert response.status_code == 302, response.get_data(as_text=True)
        return int(response.headers["Location"].split("/t/")[1].split("?")[0].split("#")[0])

    def reply(self, topic_id: int, body: str):
        return self.post(f"/forums/t/{topic_id}/reply", body=body)


@dataclass
class Community:
    creator: object
    course_id: int
    product_id: int
    paid_lesson_id: int
    free_lesson_id: int
    public_circle: int
    paid_circle: int
    circle_product: int


def add_circle(creator, name: str, visibility: str = "public", product_id: int | None = None) -> int:
    circle = Circle(name=name, creator_id=creator.id, visibility=visibility, product_id=product_id, member_count=1,
                    rules="Be kind.")
    db.session.add(circle)
    db.session.flush()
    db.session.add(Membership(circle_id=circle.id, user_id=creator.id, role="moderator"))
    return circle.id


def add_topic(author, circle_id: int, title: str, body: str) -> None:
    now = utcnow()
    topic = Topic(circle_id=circle_id, author_id=author.id, title=title, post_count=1, bumped_at=now, created_at=now)
    db.session.add(topic)
    db.session.flush()
    db.session.add(Post(topic_id=topic.id, circle_id=circle_id, number=1, author_id=author.id, body=body,
                        created_at=now))


@pytest.fixture
def community(app, make_user) -> Community:
    """A paid course (a free preview lesson, a paid one with the canaries), a public circle with
    an English and a Chinese topic and a paid circle whose topic holds ``CIRCLE_WORD``; indexed."""
    creator = make_user(role="creator", name="Cora Creator")
    with app.test_request_context():
        product = Product(creator_id=creator.id, name="Python course", price_minor=9900, currency="CNY")
        membership = Product(creator_id=creator.id, name="Inner circle", kind="membership", period_days=365,
                             price_minor=29900, currency="CNY")
        db.session.add_all([product, membership])
        db.session.flush()
        course = Course(creator_id=creator.id, product_id=product.id, title="Python for Data Science",
                        subtitle="Learn pandas", description="A course about data analysis 数据分析",
                        status="published", publish_at=utcnow())
        db.session.add(course)
        db.session.flush()
        chapter = Chapter(course_id=course.id, title="Chapter one")
        db.session.add(chapter)
        db.session.flush()
        free = Lesson(course_id=course.id, chapter_id=chapter.id, title="Welcome to the course", kind="text",
                      position=0, preview=True, minutes=5, body="Read about **notebooks** and 机器学习 here.")
        paid = Lesson(course_id=course.id, chapter_id=chapter.id, title="Advanced grouping", kind="text",
                      position=1, minutes=5, body=f"The secret is {PAID_WORD} and {PAID_CHINESE}的历史.")
        db.session.add_all([free, paid])
        public = add_circle(creator, "Data lovers")
        paid_circle = add_circle(creator, "Inner circle", "paid", membership.id)
        add_topic(creator, public, "Choosing a plotting library", "Matplotlib or seaborn for plotting charts?")
        add_topic(creator, public, "学习路线", "请问机器学习应该从哪里开始？推荐一些中文教程。")
        add_topic(creator, paid_circle, "Members only plans", f"Our plan: {CIRCLE_WORD} strategy.")
        db.session.commit()
        built = Community(creator, course.id, product.id, paid.id, free.id, public, paid_circle, membership.id)
    with app.test_request_context():
        indexer.rebuild()
    return built
