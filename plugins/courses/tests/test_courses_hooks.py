"""The courses plugin's hooks: search documents, resource products, members' data, nav,
events, demo; and what disabling the plugin hides."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from kpay.commerce import can_access
from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.plugins import hook
from kpay.types import Resource
from kpay.demo import DEMO_PASSWORD
from plugins.courses.models import Course, Enrolment, Lesson, Review
from plugins.courses.records import search_documents
from plugins.courses.tests.conftest import canary, count, logged_in, make_course
from tests.commerce_helpers import buy
from tests.conftest import Auth, csrf_token


def test_hook_kpay_search_documents(app, make_user):
    creator = make_user(role="creator")
    paid = make_course(app, creator.id, media=False, lessons=2, title="Paid")
    free = make_course(app, creator.id, media=False, lessons=1, preview=0, price_minor=None, title="Free")
    draft = make_course(app, creator.id, media=False, lessons=1, status="draft", title="Draft")
    with app.test_request_context():
        found = [doc for group in hook().kpay_search_documents(since=None) for doc in group or ()]
        by_key = {(d.kind, d.id): d for d in found}
        preview, members_only = (by_key[("lesson", str(i))] for i in paid.lessons)
        assert preview.visibility == "public"
        assert members_only.visibility == f"course:{paid.id}" and canary(paid.lessons[1]) in members_only.body
        assert members_only.url == f"/courses/{paid.id}/lessons/{paid.lessons[1]}"
        assert by_key[("lesson", str(free.lessons[0]))].visibility == "public"
        gone = by_key[("lesson", str(draft.lessons[0]))]
        assert gone.visibility == "gone" and gone.body == ""
        assert by_key[("course", str(paid.id))].title == "Paid"
        assert list(search_documents(utcnow() + timedelta(minutes=1))) == []


def test_hook_resource_products_answers_only_for_known_courses(app, make_user):
    creator, buyer = make_user(role="creator"), make_user()
    course = make_course(app, creator.id, media=False)
    buy(logged_in(app, buyer), course.product_id)
    with app.test_request_context():
        answers = hook().kpay_resource_products(resource=Resource("course", 999))
        assert [a for a in answers if a is not None] == []
        assert [a for a in hook().kpay_resource_products(resource=Resource("lecture", course.id)) if a] == []
        assert [course.product_id] in hook().kpay_resource_products(resource=Resource("course", course.id))
        assert can_access(db.session.get(User, buyer.id), Resource("course", course.id, creator.id))


def test_a_membership_product_also_unlocks_the_course(app, make_user):
    from tests.commerce_helpers import add_product

    creator, member = make_user(role="creator"), make_user()
    circle = add_product(app, creator.id, name="Circle", kind="membership", period_days=365)
    course = make_course(app, creator.id, media=False)
    with app.app_context():
        db.session.get(Course, course.id).membership_product_id = circle
        db.session.commit()
    client = logged_in(app, member)
    buy(client, circle)
    assert client.get(f"/courses/{course.id}/lessons/{course.lessons[1]}").status_code == 200
    assert count(app, Enrolment, user_id=member.id) == 1


def test_members_data_is_exported_and_erased(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    course = make_course(app, creator.id, media=False, price_minor=None, lessons=2, preview=0)
    client = logged_in(app, member)
    page = client.get(f"/courses/{course.id}/lessons/{course.lessons[0]}")
    client.post(f"/courses/{course.id}/lessons/{course.lessons[0]}/complete", data={"csrf_token": csrf_token(page)})
    client.post(f"/courses/{course.id}/reviews", data={"csrf_token": csrf_token(page), "rating": "3", "text": "ok"})
    with app.test_request_context():
        user = db.session.get(User, member.id)
        [data] = [d for d in hook().kpay_user_data(user=user, action="export") if d]
        assert data["enrolments"][0]["percent"] == 50 and data["reviews"][0]["rating"] == 3
        assert len(data["completed_lessons"]) == 1
        hook().kpay_user_data(user=user, action="erase")
        db.session.commit()
        item = db.session.get(Course, course.id)
        assert (item.learner_count, item.rating_count, item.rating_sum) == (0, 0, 0)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0
        assert [d for d in hook().kpay_user_data(user=user, action="export") if d] == []


def test_nav_links_and_studio_link_for_creators(app, make_user):
    assert 'href="/courses/"' in app.test_client().get("/").get_data(as_text=True)
    creator_home = logged_in(app, make_user(role="creator")).get("/").get_data(as_text=True)
    assert 'href="/courses/studio/"' in creator_home
    assert 'href="/courses/studio/"' not in logged_in(app, make_user()).get("/").get_data(as_text=True)


def test_disabling_the_plugin_hides_its_pages_and_keeps_its_data(make_app, make_user, app):
    creator = make_user(role="creator")
    course = make_course(app, creator.id, media=False)
    off = make_app({"plugins": {"enabled": ["pay_sandbox"]}}, create_tables=False)
    client = off.test_client()
    assert client.get("/courses/").status_code == 404
    assert client.get(f"/courses/{course.id}").status_code == 404
    assert 'href="/courses/"' not in client.get("/").get_data(as_text=True)
    assert count(app, Course) == 1


def test_demo_has_four_bilingual_courses_with_progress_and_reviews(app, runner):
    from kpay.cli import cli

    result = app.test_cli_runner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        courses = db.session.scalars(sa.select(Course).order_by(Course.id)).all()
        assert len(courses) == 4 and sum(c.free for c in courses) == 1
        assert all("·" in c.title for c in courses)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) >= 2
        assert db.session.scalar(sa.select(sa.func.max(Enrolment.percent))) == 100
        attachment = db.session.scalar(
            sa.select(Lesson.id).where(Lesson.course_id == courses[1].id, Lesson.kind == "attachment"))
    url = f"/courses/{courses[1].id}/lessons/{attachment}/download"
    member = app.test_client()
    Auth(member).login("member@example.com", DEMO_PASSWORD)
    download = member.get(url)
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert app.test_client().get(url).status_code == 403


def test_the_courses_migration_branch_upgrades_and_downgrades(tmp_path):
    from flask_migrate import downgrade, upgrade

    from kpay.app import create_app

    app = create_app({"instance_path": str(tmp_path / "instance"), "database_url": f"sqlite:///{tmp_path / 'm.db'}",
                      "plugins": {"enabled": ["courses"]}})
    with app.app_context():
        upgrade(revision="heads")
        assert {"courses_courses", "courses_lessons", "courses_reviews"} <= set(sa.inspect(db.engine).get_table_names())
        downgrade(revision="courses@base")
        assert not [t for t in sa.inspect(db.engine).get_table_names() if t.startswith("courses_")]
        db.engine.dispose()


def statements(app, client, url: str) -> int:
    """How many SQL statements one GET of ``url`` sends."""
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_course_and_lesson_pages_send_as_many_queries_for_many_lessons_and_learners(app, make_user):
    creator, buyer = make_user(role="creator"), make_user()
    small = make_course(app, creator.id, lessons=3, media=False)
    big = make_course(app, creator.id, lessons=40, media=False)
    client = logged_in(app, buyer)
    for course in (small, big):
        buy(client, course.product_id)
    with app.app_context():
        for n in range(30):
            user = User(email=f"learner{n}@example.com", display_name=f"L{n}", password_hash="x")
            db.session.add(user)
            db.session.flush()
            db.session.add(Enrolment(course_id=big.id, user_id=user.id))
            db.session.add(Review(course_id=big.id, user_id=user.id, rating=4, text="ok"))
        db.session.commit()
    pages = [(f"/courses/{c.id}", f"/courses/{c.id}/lessons/{c.lessons[1]}") for c in (small, big)]
    counts = [[statements(app, client, url) for url in urls] for urls in pages]
    visitor = [statements(app, app.test_client(), f"/courses/{c.id}") for c in (small, big)]
    assert counts[0] == counts[1] and visitor[0] == visitor[1]
    # Within budget (PERFORMANCE.md: at most 5 queries of the page's own): the visitor's course
    # page is BEGIN + 4; the learner's pages add the core's session user, unread count and
    # entitlement check to 5 (course page) and 4 (lesson page) of the plugin's.
    assert visitor[0] <= 1 + 4 and counts[0][0] <= 4 + 5 and counts[0][1] <= 4 + 4
