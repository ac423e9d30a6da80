"""A live lecture as a course lesson, through the pages only (courses and lectures meet through
``kpay_lesson_sources``, the ``lesson.source`` slot and ``can_access``): the creator links their
paid lecture in the lesson form, the syllabus lists it, and the lesson shows the lecture's time to
the course's buyer, then its replay, which plays for them; a member without the course finds the
lesson locked and the replay refused, and the meeting link is never on the lesson."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Blueprint

from kpay.api import LessonSource, Resource, User, Widget, can_access, hook
from kpay.extensions import db
from kpay.models.base import utcnow
from kpay.testing import Auth, csrf_token
from plugins.lectures.models import Lecture
from tests.commerce_helpers import add_product, buy
from tests.test_auth import field_errors
from tests.test_hooks import plugin

ENABLED = {"plugins": {"enabled": ["courses", "lectures", "pay_sandbox"]}, "site_url": "http://kpay.test"}
LINK = "https://meet.example/LESSON-CANARY"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2000


@pytest.fixture
def app(make_app):
    return make_app(ENABLED)


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user.email)
    return client


def send(client, url: str, page: str | None = None, **data):
    """Post ``data`` to ``url`` as the form on ``page`` (default: ``url``) would, with its CSRF token."""
    token = csrf_token(client.get(page or url))
    return client.post(url, data={"csrf_token": token, **data}, content_type="multipart/form-data")


def created_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/(\d+)(?:#.*)?$", response.headers["Location"]).group(1))


def lesson_id_in(page: str, title: str) -> int:
    return int(re.search(rf'/lessons/(\d+)">{title}</a>', page).group(1))


def lecture_part(client, lesson_url: str) -> str:
    """What the lesson page shows of its lecture: the lazy widget's address, loaded as htmx does."""
    page = client.get(lesson_url).get_data(as_text=True)
    address = re.search(r'hx-get="(/live/\d+/lesson)" hx-trigger="revealed"', page).group(1)
    assert f'<a href="{address}">' in page  # without JavaScript: a link to the same part
    return client.get(address, headers={"HX-Request": "true"}).get_data(as_text=True)


def test_a_lecture_linked_as_a_lesson_shows_its_time_then_its_replay_to_the_course_buyers_only(app, make_user):
    creator, learner, outsider = make_user(role="creator"), make_user(), make_user()
    studio = logged_in(app, creator)
    seat, course_product = add_product(app, creator.id, name="Seat"), add_product(app, creator.id, name="Course")
    starts = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    scheduled = send(studio, "/live/studio/new", title="Ask me anything", starts=starts, zone="Asia/Shanghai",
                     minutes="60", capacity="", product_id=str(seat), membership_product_id="", provider="url",
                     meeting_url=LINK, repeat_until="", description="", speakers="Chen")
    assert scheduled.status_code == 302, scheduled.get_data(as_text=True)
    course_id = created_id(send(studio, "/courses/studio/new", title="Writing", level="beginner", language="en",
                                product_id=str(course_product), membership_product_id="", certificates="y"))
    new_lesson = f"/courses/studio/{course_id}/lessons/new"
    form = studio.get(new_lesson).get_data(as_text=True)
    lecture_id = int(re.search(r'<option value="lecture:(\d+)">Ask me anything · ', form).group(1))
    chapter = re.search(r'name="chapter_id"[^>]*>\s*<option[^>]*value="(\d+)"', form).group(1)
    lesson = {"chapter_id": chapter, "title": "Live QA", "kind": "source", "body": "", "embed_url": "",
              "minutes": "60"}
    refused = send(studio, new_lesson, **{**lesson, "source": ""})
    assert refused.status_code == 422 and "Choose what this lesson shows." in field_errors(refused, "source")
    foreign = send(studio, new_lesson, **{**lesson, "source": "lecture:999"})
    assert foreign.status_code == 422
    assert send(studio, new_lesson, **{**lesson, "source": f"lecture:{lecture_id}"}).status_code == 302
    send(studio, f"/courses/studio/{course_id}/publish", action="now")

    syllabus = app.test_client().get(f"/courses/{course_id}").get_data(as_text=True)
    lesson_id = lesson_id_in(syllabus, "Live QA")
    assert "Linked" in syllabus
    lesson_url = f"/courses/{course_id}/lessons/{lesson_id}"

    buyer = logged_in(app, learner)
    buy(buyer, course_product)
    assert buyer.get(lesson_url).status_code == 200
    text = lecture_part(buyer, lesson_url)
    assert "Ask me anything" in text and "Asia/Shanghai" in text and "Go to the lecture" in text
    assert f'href="/live/{lecture_id}"' in text and LINK not in text
    assert "I am going" in buyer.get(f"/live/{lecture_id}").get_data(as_text=True)  # the course unlocks the lecture

    other = logged_in(app, outsider)
    locked = other.get(lesson_url)
    assert locked.status_code == 403 and f"/live/{lecture_id}/lesson" not in locked.get_data(as_text=True)
    assert "This lecture is for those who bought it or its course." in other.get(f"/live/{lecture_id}/lesson").get_data(as_text=True)
    assert "Buy a seat" in other.get(f"/live/{lecture_id}").get_data(as_text=True)

    with app.app_context():  # time passes: the lecture is over
        db.session.execute(sa.update(Lecture).where(Lecture.id == lecture_id)
                           .values(starts_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
    attached = send(studio, f"/live/studio/{lecture_id}/replay", f"/live/studio/{lecture_id}", replay_url="",
                    replay_notes="Slides *here*", replay_upload=(io.BytesIO(MP4), "talk.mp4"))
    assert attached.status_code == 302
    text = lecture_part(buyer, lesson_url)
    src = re.search(r'<video[^>]* src="([^"]+)"', text).group(1).replace("&amp;", "&")
    assert "<em>here</em>" in text and LINK not in text
    played = buyer.get(src)
    assert played.status_code == 200 and played.data == MP4
    assert other.get(src).status_code == 403
    assert "Slides" not in other.get(f"/live/{lecture_id}/lesson").get_data(as_text=True)


def wave_plugin(template_folder):
    """A plugin offering one resource, ``wave:1``, as a lesson source, and selling it through the courses that hold it."""
    def resource_products(resource):
        if resource.kind != "wave":
            return None
        return [p for group in hook().kpay_lesson_source_products(keys=[resource.key]) for p in group.get(resource.key, [])]

    def widgets(slot, context, user):
        if slot == "lesson.source" and context["source"] == "wave:1":
            allowed = can_access(user, Resource("wave", 1))
            return [Widget("Wave", template="wave/_lesson.html", context={"allowed": allowed})]
        return []

    blueprint = Blueprint("wave", __name__, template_folder=str(template_folder))
    return plugin("wave", kpay_lesson_sources=lambda user: [LessonSource("wave:1", "Wave one")],
                  kpay_resource_products=resource_products, kpay_widgets=widgets, kpay_blueprints=lambda: [blueprint])


@pytest.fixture
def wave_course(make_app, make_user, tmp_path):
    """(app, course id, product id, lesson URL): a published paid course whose one
    lesson is made of the wave plugin's ``wave:1``, linked through the lesson form."""
    (tmp_path / "wave").mkdir()
    (tmp_path / "wave" / "_lesson.html").write_text("<p>Waving, {{ widget.context.allowed }}</p>")
    app = make_app({"plugins": {"enabled": ["courses", "pay_sandbox"]}}, plugins=[wave_plugin(tmp_path)])
    creator = make_user(role="creator")
    studio = logged_in(app, creator)
    product = add_product(app, creator.id, name="Course")
    course_id = created_id(send(studio, "/courses/studio/new", title="Waves", level="beginner", language="en",
                                product_id=str(product), membership_product_id="", certificates="y"))
    new_lesson = f"/courses/studio/{course_id}/lessons/new"
    form = studio.get(new_lesson).get_data(as_text=True)
    assert '<option value="wave:1">Wave one</option>' in form
    chapter = re.search(r'name="chapter_id"[^>]*>\s*<option[^>]*value="(\d+)"', form).group(1)
    send(studio, new_lesson, chapter_id=chapter, title="Big wave", kind="source", source="wave:1", body="",
         embed_url="", minutes="5")
    send(studio, f"/courses/studio/{course_id}/publish", action="now")
    lesson_id = lesson_id_in(app.test_client().get(f"/courses/{course_id}").get_data(as_text=True), "Big wave")
    return app, course_id, product, f"/courses/{course_id}/lessons/{lesson_id}"


def test_hook_kpay_lesson_sources(wave_course, make_user):
    app, _course_id, product, lesson_url = wave_course
    buyer = logged_in(app, make_user())
    assert "Waving" not in buyer.get(lesson_url).get_data(as_text=True)
    buy(buyer, product)
    assert "<p>Waving, True</p>" in buyer.get(lesson_url).get_data(as_text=True)


def test_hook_kpay_lesson_source_products(wave_course, make_user):
    app, _course_id, product, _lesson_url = wave_course
    buyer, stranger = make_user(), make_user()
    buy(logged_in(app, buyer), product)
    with app.test_request_context():
        assert hook().kpay_lesson_source_products(keys=["wave:1", "wave:2"]) == [{"wave:1": [product]}]
        assert can_access(db.session.get(User, buyer.id), Resource("wave", 1))
        assert not can_access(db.session.get(User, stranger.id), Resource("wave", 1))
