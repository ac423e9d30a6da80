"""My learning: a learner's courses with progress, circles with unread topics and what they
hold, on the home page and at /me/learning; the plugins fill the ``learning.main`` slot."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kpay.commerce import entitlements
from kpay.extensions import db
from kpay.models.commerce import Product
from plugins.courses.tests.conftest import make_course
from plugins.courses.tests.test_courses_hooks import statements
from plugins.forums.models import Circle, Membership
from tests.conftest import Auth, csrf_token

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def app(make_app):
    return make_app({"plugins": {"enabled": ["courses", "forums", "pay_sandbox"],
                                 "forums": {"post_rate_limit": "1000/minute"}}})


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user.email)
    return client


def post(client, url: str, page: str, **data):
    response = client.post(url, data={"csrf_token": csrf_token(client.get(page)), **data})
    response.close()
    return response


def hold(app, user, name: str) -> None:
    with app.app_context():
        product = Product(creator_id=user.id, name=name, price_minor=19900, currency="CNY", kind="membership", period_days=365)
        db.session.add(product)
        db.session.flush()
        entitlements.grant(user.id, product, f"test:{user.id}:{name}")
        db.session.commit()


def circle_of(app, creator, name: str) -> int:
    with app.app_context():
        circle = Circle(name=name, creator_id=creator.id, visibility="public", member_count=1, rules="Be kind.")
        db.session.add(circle)
        db.session.flush()
        db.session.add(Membership(circle_id=circle.id, user_id=creator.id, role="moderator"))
        db.session.commit()
        return circle.id


def test_learner_sees_courses_circles_and_purchases_at_home_and_on_my_learning(app, make_user):
    creator, learner = make_user(role="creator", name="Chen"), make_user(name="Mei")
    started = make_course(app, creator.id, price_minor=None, media=False, title="Habits", lessons=4)
    finished = make_course(app, creator.id, price_minor=None, media=False, title="Notes", lessons=1, preview=1)
    client = logged_in(app, learner)
    for course in (started, finished):
        post(client, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
    post(client, f"/courses/{started.id}/lessons/{started.lessons[0]}/complete", f"/courses/{started.id}")
    post(client, f"/courses/{finished.id}/lessons/{finished.lessons[0]}/complete", f"/courses/{finished.id}")
    hold(app, learner, "Design circle membership")
    circle = circle_of(app, creator, "Design circle")
    post(client, f"/forums/c/{circle}/join", "/forums/")
    post(logged_in(app, creator), f"/forums/c/{circle}/new", "/forums/", title="Welcome", body="Hi", kind="discussion")

    for page in ("/", "/me/learning"):
        text = client.get(page).get_data(as_text=True)
        assert 'href="/me/learning"' in text, "My learning is in the navigation"
        slot = text.split('data-slot="learning.main"', 1)[1]
        assert 'hx-get="/forums/widgets/mine"' in slot and 'hx-get="/courses/continue"' in slot
        assert "Design circle membership" in text.split('id="held-products"', 1)[1]

    courses = client.get("/courses/continue", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert courses.index("Habits") < courses.index("Notes"), "unfinished first"
    habits, notes = courses.split("Notes", 1)
    assert 'value="25"' in habits and f'href="/courses/{started.id}/lessons/{started.lessons[0]}">Continue' in habits
    assert 'value="100"' in notes and "Completed" in notes, "a finished course stays in the list"
    circles = client.get("/forums/widgets/mine", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Design circle" in circles and "1 unread" in circles


def test_my_learning_speaks_chinese(app, make_user):
    learner = make_user()
    client = logged_in(app, learner)
    text = client.get("/me/learning", headers=CHINESE).get_data(as_text=True)
    assert "<h1>我的学习</h1>" in text
    widget = client.get("/courses/continue", headers={**CHINESE, "HX-Request": "true"}).get_data(as_text=True)
    assert "继续学习" in widget


def test_visitor_is_sent_to_log_in_and_sees_no_my_learning_link(app):
    client = app.test_client()
    assert client.get("/me/learning").headers["Location"].startswith("/login")
    assert 'href="/me/learning"' not in client.get("/").get_data(as_text=True)
    assert client.get("/forums/widgets/mine").status_code in (302, 401)


def test_without_plugins_my_learning_shows_purchases_only(make_app, make_user):
    app = make_app()
    learner = make_user()
    hold(app, learner, "Annual membership")
    text = logged_in(app, learner).get("/me/learning").get_data(as_text=True)
    assert "Annual membership" in text and 'data-slot="learning.main"' not in text


def test_my_learning_costs_the_same_statements_for_one_item_or_many(app, make_user):
    creator, few, many = make_user(role="creator"), make_user(), make_user()
    courses = [make_course(app, creator.id, price_minor=None, media=False, lessons=1) for _ in range(6)]
    circles = [circle_of(app, creator, f"Circle {n}") for n in range(6)]
    clients = {few: logged_in(app, few), many: logged_in(app, many)}
    for user, n in ((few, 1), (many, 6)):
        for course in courses[:n]:
            post(clients[user], f"/courses/{course.id}/enrol", f"/courses/{course.id}")
        for circle in circles[:n]:
            post(clients[user], f"/forums/c/{circle}/join", "/forums/")
        for k in range(n):
            hold(app, user, f"Product {user.id}-{k}")
    for url in ("/me/learning", "/", "/courses/continue", "/forums/widgets/mine"):
        assert statements(app, clients[few], url) == statements(app, clients[many], url), url
