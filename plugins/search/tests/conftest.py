"""An app with courses, circles and search on each backend (PostgreSQL only with
KPAY_TEST_DATABASE_URL), the demo community plus pages its creator writes through the site's
own forms (a paid lesson and a paid circle's topic carry canary words), and a ``Searcher``
that reads the search page as one person. No other plugin's code is imported: documents,
products and ids come through hooks, the core and the pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from kpay import demo, jobs
from kpay.api import Resource, hook
from kpay.extensions import db
from kpay.models.commerce import Product
from kpay.testing import PASSWORD, Auth, csrf_token
from plugins.search import indexer

PAID_WORD = "zanzibarquux"  # only in the paid lesson's body
PAID_CHINESE = "秘鲁"  # only in the paid lesson's body
CIRCLE_WORD = "quetzalcoatl"  # only in a paid circle's post
CREATOR = "creator@example.com"  # the demo's creator: Teacher Chen, who made the paid course and circle


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
    """One person (or a visitor) using the search page and the site's forms."""

    def __init__(self, app, user=None, password: str | None = None):
        self.client = app.test_client()
        if user is not None:
            email = user if isinstance(user, str) else user.email
            Auth(self.client).login(email, password or PASSWORD)

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

    def post(self, url: str, form_page: str = "/forums/", **data):
        token = csrf_token(self.client.get(form_page))
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

    def post_ids(self, topic_id: int) -> list[int]:
        """The ids of the topic's posts this person may edit, in order (from the topic page)."""
        html = self.client.get(f"/forums/t/{topic_id}").get_data(as_text=True)
        return [int(n) for n in dict.fromkeys(re.findall(r"/forums/p/(\d+)/edit", html))]

    def add_lesson(self, course_id: int, title: str, body: str, preview: bool = False) -> None:
        form = f"/courses/studio/{course_id}/lessons/new"
        chapter = re.search(r'name="chapter_id"[^>]*>\s*<option[^>]*value="(\d+)"',
                            self.client.get(form).get_data(as_text=True))
        assert chapter, "the lesson form offers no chapter"
        fields = {"chapter_id": chapter.group(1), "title": title, "kind": "text", "body": body, "minutes": "5"}
        response = self.post(form, form_page=form, **fields, **({"preview": "y"} if preview else {}))
        assert response.status_code == 302, response.get_data(as_text=True)


@dataclass
class Community:
    creator: str  # the creator's e-mail (the demo password logs them in)
    creator_id: int
    course_id: int
    product_id: int
    price_minor: int
    paid_lesson_id: int
    public_circle: int
    paid_circle: int
    circle_product: int


def search_documents() -> list:
    """Every document the enabled plugins give (in a request context)."""
    return [d for group in hook().kpay_search_documents(since=None) for d in group or ()]


def unlocking_product(kind: str, ident: str) -> int:
    """The product that unlocks ``kind:ident`` (asked of the plugins, as ``can_access`` asks)."""
    return next(pid for group in hook().kpay_resource_products(resource=Resource(kind, ident)) for pid in group or ())


@pytest.fixture
def community(app) -> Community:
    """The demo, plus: in its paid course a free lesson on notebooks and 机器学习 and a paid one
    with the canaries; in its public circle an English and a Chinese topic; in its paid circle a
    topic holding ``CIRCLE_WORD``. Then the index is built anew."""
    with app.test_request_context("/"):
        demo.build()
        jobs.run_queued_inline()
        documents = search_documents()
        paid_course = next(d.visibility for d in documents if d.kind == "lesson" and d.visibility != "public")
        paid_circle = next(d.visibility for d in documents if d.kind == "forums.topic" and d.visibility.startswith("circle:"))
        public_circle = next(d.place for d in documents if d.kind == "forums.topic" and d.visibility == "public")
        course_id, circle_id = int(paid_course.split(":")[1]), int(paid_circle.split(":")[1])
        product_id, circle_product = unlocking_product("course", str(course_id)), unlocking_product("circle", str(circle_id))
        price = db.session.get(Product, product_id).price_minor
    author = Searcher(app, CREATOR, demo.DEMO_PASSWORD)
    author.add_lesson(course_id, "Welcome to the course", "Read about **notebooks** and 机器学习 here.", preview=True)
    author.add_lesson(course_id, "Advanced grouping", f"The secret is {PAID_WORD} and {PAID_CHINESE}的历史.")
    public = int(public_circle.split(":")[1])
    author.start_topic(public, "Choosing a plotting library", "Matplotlib or seaborn for plotting charts?")
    author.start_topic(public, "学习路线", "请问机器学习应该从哪里开始？推荐一些中文教程。")
    author.start_topic(circle_id, "Members only plans", f"Our plan: {CIRCLE_WORD} strategy.")
    with app.test_request_context("/"):
        indexer.rebuild()
        documents = search_documents()
        paid_lesson = next(d for d in documents if d.title == "Advanced grouping")
        built = Community(CREATOR, paid_lesson.author_id, course_id, product_id, price, int(paid_lesson.id), public,
                          circle_id, circle_product)
    return built


def as_creator(app, community: Community) -> Searcher:
    """The demo creator, logged in."""
    return Searcher(app, community.creator, demo.DEMO_PASSWORD)
