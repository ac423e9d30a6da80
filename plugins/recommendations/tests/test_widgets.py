"""What members and visitors see in the widgets: the learner's paid next course with its price
and why, popular items for a visitor, "not interested", the admin's switches, the hidden
empty widget, and no paid text or paid circle's topic for anyone without access."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.cli import cli
from kpay.api import Product, db, grant_entitlement
from kpay.models import ActivityEvent
from kpay.testing import assert_outsiders_see_nothing, csrf_token
from plugins.courses.models import Course
from plugins.courses.tests.conftest import canary
from plugins.forums.models import Circle, Post, Topic
from plugins.recommendations.tests.conftest import CIRCLE_CANARY, logged_in, refresh

HTMX = {"HX-Request": "true"}


def test_learner_who_finished_a_data_course_sees_the_paid_one_with_price_and_why(app, site):
    client = logged_in(app, site.learner)
    page = client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    assert "Data Visualisation" in page and "149.00" in page
    assert "Because you finished Data Analysis Basics" in page
    assert "Data Analysis Basics</a>" not in page  # finished: hidden
    assert "CANARY-PAID" not in page


def test_visitor_sees_popular_items_and_a_link_without_javascript(app, site):
    home = app.test_client().get("/").get_data(as_text=True)
    assert 'hx-get="/recommendations/for-you"' in home and 'hx-trigger="revealed"' in home
    page = app.test_client().get("/recommendations/for-you").get_data(as_text=True)
    assert "<h1>Popular now</h1>" in page and "Writing That Sells" in page and "Popular now" in page
    assert "Not interested" not in page


def test_course_page_shows_members_also_took_lazily(app, site):
    course_page = app.test_client().get(f"/courses/{site.basics}").get_data(as_text=True)
    assert f'hx-get="/recommendations/related/course/{site.basics}"' in course_page
    part = app.test_client().get(f"/recommendations/related/course/{site.basics}", headers=HTMX).get_data(as_text=True)
    assert "Data Visualisation" in part and "Also about data" in part


def test_not_interested_is_honoured_once_and_needs_csrf(app, site):
    client = logged_in(app, site.learner)
    page = client.get("/recommendations/for-you")
    url = f"/recommendations/dismiss/home/course:{site.paid}"
    assert client.post(url, data={}).status_code == 400
    for _ in range(2):  # a double click changes nothing more
        response = client.post(url, data={"csrf_token": csrf_token(page)}, headers=HTMX)
        assert response.status_code == 200 and response.get_data() == b""
    assert "Data Visualisation" not in client.get("/recommendations/for-you").get_data(as_text=True)
    refresh(app)
    assert "Data Visualisation" not in client.get("/recommendations/for-you").get_data(as_text=True)


def test_nothing_to_show_hides_the_widget(app, site):
    with app.app_context():
        db.session.execute(sa.update(Course).values(status="draft"))
        db.session.commit()
    refresh(app)
    part = app.test_client().get(f"/recommendations/related/course/{site.basics}", headers=HTMX).get_data(as_text=True)
    assert part.strip() == '<div id="recs-course" hidden></div>'


def test_an_unpublished_course_leaves_the_lists_at_the_next_run(app, site):
    client = logged_in(app, site.learner)
    with app.app_context():
        db.session.execute(sa.update(Course).where(Course.id == site.paid).values(status="draft"))
        db.session.commit()
    refresh(app)
    assert "Data Visualisation" not in client.get("/recommendations/for-you").get_data(as_text=True)


def test_admin_switch_turns_a_widget_off(make_app, site):
    off = make_app({"plugins": {"enabled": ["courses", "forums", "recommendations"],
                                "recommendations": {"widget_home": False}}})
    assert off.test_client().get("/recommendations/for-you").status_code == 404
    assert "/recommendations/for-you" not in off.test_client().get("/").get_data(as_text=True)


def test_shown_and_clicked_events_hold_only_widget_and_items(app, site):
    client = logged_in(app, site.learner)
    client.get("/recommendations/for-you", headers=HTMX)
    response = client.get(f"/recommendations/go/home/1/course:{site.paid}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/courses/{site.paid}")
    with app.app_context():
        events = {e.name: e for e in db.session.scalars(sa.select(ActivityEvent).where(
            ActivityEvent.name.in_(["recs.shown", "recs.clicked"])))}
    assert events["recs.clicked"].data == {"widget": "home", "key": f"course:{site.paid}", "position": 1}
    assert f"course:{site.paid}" in events["recs.shown"].data["keys"]
    assert app.test_client().get("/recommendations/go/home/1/course:999").status_code == 404


def test_no_paid_text_or_paid_circle_topic_for_outsiders(app, site, make_user):
    with app.app_context():
        lessons = db.session.scalars(sa.text("SELECT id FROM courses_lessons")).all()
    canaries = [canary(i) for i in lessons] + [CIRCLE_CANARY]
    assert_outsiders_see_nothing(
        app, "recommendations", canaries, values={"widget": "home", "kind": "course", "item_id": site.paid,
                                                   "key": f"topic:{site.topic}", "position": 1},
        member=make_user(name="Nobody"), member_changes_nothing=False)
    # A member of the circle who paid for it sees the topic's card; without the entitlement, not.
    client = logged_in(app, site.other)
    assert CIRCLE_CANARY not in client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    with app.app_context():
        grant_entitlement(site.other.id, db.session.get(Product, db.session.get(Circle, site.circle).product_id), "test")
        db.session.commit()
    assert CIRCLE_CANARY in client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)


def test_export_and_erase_clear_the_members_data(app, site):
    from kpay.models import User
    from plugins.recommendations.member_data import erase, export
    from plugins.recommendations.models import Dismissal, Taken

    client = logged_in(app, site.learner)
    page = client.get("/recommendations/for-you")
    client.post(f"/recommendations/dismiss/home/course:{site.writing}", data={"csrf_token": csrf_token(page)})
    with app.app_context():
        user = db.session.get(User, site.learner.id)
        data = export(user)
        assert data["not_interested"][0]["item"] == f"course:{site.writing}"
        assert f"course:{site.basics}" in data["taken"]
        erase(user)
        db.session.commit()
        assert export(user) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Dismissal)) == 0
        assert db.session.get(Taken, user.id) is None


def test_evaluate_says_when_there_is_too_little_to_measure(app, site):
    result = app.test_cli_runner().invoke(cli, ["recs", "evaluate", "-k", "3"])
    assert result.exit_code == 1 and "too few signals to evaluate (4)" in result.output


def test_member_can_make_recommendations_forget_what_they_did(app, site):
    client = logged_in(app, site.learner)
    page = client.get("/recommendations/for-you")
    assert "Because you finished Data Analysis Basics" in page.get_data(as_text=True)
    assert client.post("/recommendations/forget", data={}).status_code == 400
    response = client.post("/recommendations/forget", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "forgotten what you did" in response.get_data(as_text=True)
    refresh(app)
    after = client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    assert "Because you finished" not in after and "Data Analysis Basics</a>" not in after


def test_my_learning_offers_courses_to_continue_with(app, site):
    assert app.test_client().get("/recommendations/next").status_code == 302  # to log in
    part = logged_in(app, site.learner).get("/recommendations/next", headers=HTMX).get_data(as_text=True)
    assert "Continue with" in part and "Data Visualisation" in part and "Paid circle" not in part


def test_topic_page_shows_topics_taken_part_in_together(app, site, make_user):
    people = [make_user(name=f"Poster {n}") for n in range(3)]
    with app.app_context():
        circle = Circle(name="Open circle", visibility="public")
        db.session.add(circle)
        db.session.flush()
        topics = [Topic(circle_id=circle.id, title=title, tags="sql") for title in ("Joins", "Indexes", "Cooking")]
        db.session.add_all(topics)
        db.session.flush()
        for n, (topic, who) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1), (2, 2)]):
            db.session.add(Post(topic_id=topics[topic].id, circle_id=circle.id, number=n + 1,
                                author_id=people[who].id, body="Hi"))
        db.session.commit()
        joins = topics[0].id
    refresh(app)
    topic_page = app.test_client().get(f"/forums/t/{joins}").get_data(as_text=True)
    assert f'hx-get="/recommendations/related/topic/{joins}"' in topic_page
    part = app.test_client().get(f"/recommendations/related/topic/{joins}", headers=HTMX).get_data(as_text=True)
    assert part.index("Indexes") < part.index("Cooking") and "Often taken together with this" in part


def test_a_course_that_became_paid_shows_its_price_and_no_paid_text(app, site):
    with app.app_context():
        course = db.session.get(Course, site.basics)
        product = Product(creator_id=course.creator_id, name="Basics", price_minor=2900, currency="CNY")
        db.session.add(product)
        db.session.flush()
        course.product_id = product.id
        db.session.commit()
        lessons = db.session.scalars(sa.text("SELECT id FROM courses_lessons")).all()
    refresh(app)
    part = app.test_client().get(f"/recommendations/related/course/{site.paid}", headers=HTMX).get_data(as_text=True)
    assert "Data Analysis Basics" in part and "29.00" in part
    assert not any(canary(i) in part for i in lessons)


def test_with_the_plugin_off_courses_and_forums_start_and_its_routes_are_gone(make_app):
    off = make_app({"plugins": {"enabled": ["courses", "forums"]}})
    client = off.test_client()
    assert client.get("/recommendations/for-you").status_code == 404
    assert client.get("/").status_code == 200 and "/recommendations/" not in client.get("/").get_data(as_text=True)
