"""S20/S21: whoever has not bought a course never sees its paid lessons, media or attachments,
whatever URL they guess and however they ask (page, htmx partial, Range request)."""

from __future__ import annotations

import random
import re

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpay.extensions import db
from kpay.testing import assert_outsiders_see_nothing
from plugins.courses.models import Lesson
from plugins.courses.tests.conftest import canary, logged_in, make_course
from tests.commerce_helpers import buy

OUTSIDERS = ("anonymous", "member", "other_buyer")
HEADERS = ({}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Boosted": "true"}, {"Range": "bytes=0-"})


@pytest.fixture
def shop(app, make_user):
    """A paid course A with canaries, a second paid course B bought by ``other_buyer``, a free course."""
    creator = make_user(role="creator")
    paid = make_course(app, creator.id, title="Course A")
    other = make_course(app, creator.id, title="Course B")
    free = make_course(app, creator.id, price_minor=None, title="Free course", media=False, lessons=2, preview=0)
    people = {"member": make_user(), "other_buyer": make_user(), "buyer": make_user(), "creator": creator}
    buy(logged_in(app, people["other_buyer"]), other.product_id)
    buy(logged_in(app, people["buyer"]), paid.product_id)
    return paid, other, free, people


def client_as(app, role, people):
    return app.test_client() if role == "anonymous" else logged_in(app, people[role])


def course_urls(app, paid, other, free) -> list[str]:
    """Every GET URL of the plugin, for every lesson of every course (and neighbouring ids)."""
    lesson_ids = paid.lessons + other.lessons + free.lessons
    guesses = sorted(set(lesson_ids) | {max(lesson_ids) + 1, 0} | set(random.Random(5).sample(range(1, 60), 8)))
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("courses.") or "GET" not in rule.methods:
                continue
            args = set(rule.arguments)
            for course_id in (paid.id, other.id, free.id):
                lessons = guesses if "lesson_id" in args else [None]
                for lesson_id in lessons:
                    values = {"course_id": course_id, "lesson_id": lesson_id, "review_id": 1, "code": "ABC",
                              "chapter_id": 1, "filename": "courses/courses.css", "token": "forged",
                              "path": "source"}
                    urls.append(url_for(rule.endpoint, **{a: values[a] for a in args}))
    return sorted(set(urls))


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsiders_never_see_paid_text_media_or_attachments(app, shop, role):
    paid, other, free, people = shop
    client = client_as(app, role, people)
    urls = course_urls(app, paid, other, free)
    assert len(urls) > 50
    leaked = []
    for url in urls:
        for headers in HEADERS:
            response = client.get(url, headers=headers)
            body = response.get_data()
            for lesson_id in paid.lessons + ([] if role == "other_buyer" else other.lessons):
                if canary(lesson_id).encode() in body:
                    leaked.append((url, headers, response.status_code))
    assert leaked == []


def test_every_route_asked_every_way_and_posted_to_by_outsiders_shows_and_changes_nothing(app, shop):
    paid, _other, _free, people = shop
    values = {"course_id": paid.id, "lesson_id": paid.lessons[1], "chapter_id": 1, "review_id": 1, "code": "ABC",
              "token": "not-a-token", "path": "index.m3u8"}
    asked = assert_outsiders_see_nothing(app, "courses", [canary(i) for i in paid.lessons], values,
                                         member=people["member"])
    assert {(who, variant) for who, variant, *_ in asked} >= {("visitor", "range"), ("member", "post")}


@pytest.mark.parametrize("role", OUTSIDERS)
def test_guessed_paid_lesson_media_and_download_urls_answer_403(app, shop, role):
    paid, _other, _free, people = shop
    client = client_as(app, role, people)
    paid_lessons = paid.lessons[1:]  # the first is the free preview
    for lesson_id in paid_lessons:
        base = f"/courses/{paid.id}/lessons/{lesson_id}"
        assert client.get(base).status_code == 403
        assert client.get(base, headers={"HX-Request": "true"}).status_code == 403
    video, audio, attachment = paid.lessons[-3:]
    for lesson_id in (video, audio):
        assert client.get(f"/courses/{paid.id}/lessons/{lesson_id}/stream/forged/source",
                          headers={"Range": "bytes=0-10"}).status_code == 403
    assert client.get(f"/courses/{paid.id}/lessons/{attachment}/download").status_code == 403


def source_address(client, course_id: int, lesson_id: int) -> str:
    """The signed address of the lesson's uploaded file, as its page gives it to ``client``."""
    page = client.get(f"/courses/{course_id}/lessons/{lesson_id}").get_data(as_text=True)
    return re.search(rf'src="(/courses/{course_id}/lessons/{lesson_id}/stream/[^/"]+/source)"', page)[1]


def test_locked_lesson_shows_title_syllabus_and_buy_button_only(app, shop):
    paid, _other, _free, people = shop
    page = logged_in(app, people["member"]).get(f"/courses/{paid.id}/lessons/{paid.lessons[1]}")
    text = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "Lesson 2" in text and "Syllabus" in text and "Buy this course" in text
    assert f"/shop/{paid.product_id}" in text
    assert canary(paid.lessons[1]) not in text


def test_buyer_gets_every_paid_lesson_file_and_range(app, shop):
    paid, _other, _free, people = shop
    client = logged_in(app, people["buyer"])
    page = client.get(f"/courses/{paid.id}/lessons/{paid.lessons[1]}")
    assert page.status_code == 200 and canary(paid.lessons[1]) in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    video, audio, attachment = paid.lessons[-3:]
    part = client.get(source_address(client, paid.id, video), headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.data == b"\x1a\x45\xdf\xa3" and part.mimetype == "video/webm"
    assert client.get(source_address(client, paid.id, audio)).mimetype == "audio/ogg"
    download = client.get(f"/courses/{paid.id}/lessons/{attachment}/download")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")
    assert download.headers["Content-Disposition"] == "attachment; filename=A-attachment.pdf"


def test_an_attachment_is_named_from_its_title_and_sniffed_type_not_the_uploaded_name(app, shop):
    """S10: a PDF uploaded as ``x.html`` is never offered to the browser as HTML."""
    paid, _other, _free, people = shop
    attachment = paid.lessons[-1]
    with app.app_context():
        lesson = db.session.get(Lesson, attachment)
        lesson.media_name, lesson.title = "x.html", 'Week 1: "slides" <b>/../..\\ 第一周.html'
        db.session.commit()
    download = logged_in(app, people["buyer"]).get(f"/courses/{paid.id}/lessons/{attachment}/download")
    assert download.mimetype == "application/pdf"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=Week-1-slides-b--html.pdf")
    assert "filename*=UTF-8''Week-1-slides-b-%E7%AC%AC%E4%B8%80%E5%91%A8-html.pdf" in disposition
    assert "x.html" not in disposition


def test_uploads_are_not_reachable_as_static_files(app, shop):
    paid, _other, _free, people = shop
    with app.app_context():
        from plugins.courses.models import Lesson
        from kpay.extensions import db

        name = db.session.get(Lesson, paid.lessons[-1]).media
    client = logged_in(app, people["buyer"])
    for url in (f"/static/uploads/{name}", f"/static/uploads/courses/{name}", f"/courses/static/{name}",
                f"/courses/static/../../instance/uploads/courses/{name}"):
        assert client.get(url).status_code == 404


def test_free_preview_and_free_course_are_open_to_visitors(app, shop):
    paid, _other, free, _people = shop
    client = app.test_client()
    assert client.get(f"/courses/{paid.id}/lessons/{paid.lessons[0]}").status_code == 200
    assert client.get(f"/courses/{free.id}/lessons/{free.lessons[0]}").status_code == 200


def test_media_can_go_through_nginx_with_x_accel_redirect(make_app, make_user):
    app = make_app({"plugins": {"enabled": ["courses"], "courses": {"accel_redirect_prefix": "/protected"}}})
    creator = make_user(role="creator")
    course = make_course(app, creator.id)
    client = logged_in(app, creator)
    video = course.lessons[-3]
    address = source_address(client, course.id, video)
    response = client.get(address)
    assert response.headers["X-Accel-Redirect"].startswith("/protected/courses/")
    assert response.data == b""
    assert app.test_client().get(address).status_code == 403


def test_drafts_are_404_to_everyone_but_their_creator_and_admins(app, make_user):
    creator, admin = make_user(role="creator"), make_user(role="admin")
    course = make_course(app, creator.id, status="draft")
    assert app.test_client().get(f"/courses/{course.id}").status_code == 404
    assert logged_in(app, make_user(role="creator")).get(f"/courses/{course.id}").status_code == 404
    assert logged_in(app, creator).get(f"/courses/{course.id}").status_code == 200
    assert logged_in(app, admin).get(f"/courses/{course.id}/lessons/{course.lessons[2]}").status_code == 200


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hypothesis_drawn_lesson_ids_never_leak_to_a_member_without_the_course(app, shop, data):
    paid, other, free, people = shop
    if "member_client" not in people:  # one log-in for all examples (log-ins are rate limited)
        people["member_client"] = logged_in(app, people["member"])
    member = people["member_client"]
    assert b"Log out" in member.get("/courses/").data
    course_id = data.draw(st.sampled_from([paid.id, other.id, free.id, 999]))
    lesson_id = data.draw(st.one_of(
        st.sampled_from(paid.lessons + other.lessons + free.lessons),
        st.integers(min_value=-1, max_value=10_000),
    ))
    suffix = data.draw(st.sampled_from(["", "/media-status", "/stream/forged/source", "/download"]))
    headers = data.draw(st.sampled_from(HEADERS))
    response = member.get(f"/courses/{course_id}/lessons/{lesson_id}{suffix}", headers=headers)
    body = response.get_data()
    paid_lessons = paid.lessons[1:] + other.lessons[1:]
    assert not any(canary(i).encode() in body for i in paid_lessons)
    if lesson_id in paid_lessons:
        assert response.status_code in (403, 404)
