"""A creator builds a course in the studio: details, chapters, lessons with uploads, order,
a scheduled lesson, publishing; and sees learners, drop-off and revenue."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import ActivityEvent
from kpay.models.base import utcnow
from plugins.courses.models import Chapter, Completion, Course, Enrolment, FormerProduct, Lesson
from plugins.courses.tests.conftest import OGG, WEBM, count, logged_in, make_course
from plugins.courses.tests.test_courses import complete
from plugins.courses.tests.test_courses_access import source_address
from tests.commerce_helpers import add_product, buy
from tests.conftest import csrf_token
from tests.test_auth import field_errors


def errors(response, field) -> list[str]:
    """The messages shown beside ``field``."""
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", field_errors(response, field))]


def new_course(client, **fields) -> int:
    page = client.get("/courses/studio/new")
    data = {"csrf_token": csrf_token(page), "title": "Writing", "level": "beginner", "language": "zh",
            "product_id": "", "membership_product_id": "", "certificates": "y", **fields}
    response = client.post("/courses/studio/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def lesson_form(client, course_id, lesson_id=None, **fields):
    url = f"/courses/studio/lessons/{lesson_id}" if lesson_id else f"/courses/studio/{course_id}/lessons/new"
    page = client.get(url)
    with client.application.app_context():
        chapter = db.session.scalar(sa.select(Chapter.id).where(Chapter.course_id == course_id))
    data = {"csrf_token": csrf_token(page), "chapter_id": str(chapter), "title": "Lesson", "kind": "text",
            "body": "", "embed_url": "", "minutes": "5", **fields}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_creator_builds_a_course_with_a_scheduled_lesson_and_publishes_it(app, make_user):
    creator = make_user(role="creator")
    client = logged_in(app, creator)
    product_id = add_product(app, creator.id, name="Writing course")
    course_id = new_course(client, product_id=str(product_id), tags="写作,writing")
    assert lesson_form(client, course_id, title="Headlines", body="Be specific", preview="y").status_code == 302
    opens = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    assert lesson_form(client, course_id, title="Week two", body="Later", opens_at=opens).status_code == 302
    page = client.get(f"/courses/studio/{course_id}")
    assert "Headlines" in page.get_data(as_text=True) and "Opens" in page.get_data(as_text=True)
    assert app.test_client().get(f"/courses/{course_id}").status_code == 404  # still a draft
    published = client.post(f"/courses/studio/{course_id}/publish", data={"csrf_token": csrf_token(page), "action": "now"})
    assert "The course is published." in client.get(published.headers["Location"]).get_data(as_text=True)
    visitor = app.test_client().get(f"/courses/{course_id}").get_data(as_text=True)
    assert "Headlines" in visitor and "Week two" in visitor
    buyer = logged_in(app, make_user())
    buy(buyer, product_id)
    assert "Opens" in buyer.get(f"/courses/{course_id}").get_data(as_text=True)
    assert count(app, ActivityEvent, name="course.published") == 1
    client.post(f"/courses/studio/{course_id}/publish", data={"csrf_token": csrf_token(page), "action": "now"})
    assert count(app, ActivityEvent, name="course.published") == 1


def test_publishing_at_a_later_time(app, make_user):
    from plugins.courses.drip import announce_published_courses

    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client)
    page = client.get(f"/courses/studio/{course_id}")
    missing = client.post(f"/courses/studio/{course_id}/publish",
                          data={"csrf_token": csrf_token(page), "action": "schedule"})
    assert missing.status_code == 302 and count(app, Course, status="published") == 0
    when = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/courses/studio/{course_id}/publish",
                data={"csrf_token": csrf_token(page), "action": "schedule", "publish_at": when})
    assert app.test_client().get(f"/courses/{course_id}").status_code == 404
    assert "Scheduled for" in client.get("/courses/studio/").get_data(as_text=True)
    with app.app_context():
        db.session.get(Course, course_id).publish_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        assert announce_published_courses() == 1
        db.session.commit()
    assert app.test_client().get(f"/courses/{course_id}").status_code == 200


def test_bad_lessons_come_back_with_a_message_beside_the_field(app, make_user):
    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client)
    empty = lesson_form(client, course_id, kind="text", body="")
    assert empty.status_code == 422 and errors(empty, "body") == ["Write the lesson's text."]
    no_file = lesson_form(client, course_id, kind="audio")
    assert errors(no_file, "file") == ["Upload the lesson's file."]
    wrong = lesson_form(client, course_id, kind="video", file=(io.BytesIO(b"MZ\x90\x00 not a video"), "movie.mp4"))
    assert errors(wrong, "file") == ["Upload an MP4, WebM or Ogg video."]
    disguised = lesson_form(client, course_id, kind="attachment", file=(io.BytesIO(WEBM), "book.pdf"))
    assert errors(disguised, "file") == ["Upload a PDF, EPUB or ZIP file."]
    embed = lesson_form(client, course_id, kind="video", embed_url="https://evil.example/player")
    assert "Embed only https players from" in errors(embed, "embed_url")[0]
    assert count(app, Lesson) == 0
    assert list((Path(app.instance_path) / "uploads" / "courses").glob("*")) == []


def test_uploads_over_the_size_limit_are_refused(make_app, make_user):
    app = make_app({"plugins": {"enabled": ["courses"], "courses": {"max_audio_mb": 1}}})
    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client)
    big = OGG + b"\x00" * (2**20)
    response = lesson_form(client, course_id, kind="audio", file=(io.BytesIO(big), "long.ogg"))
    assert errors(response, "file") == ["This file is larger than 1 MB."]


def test_uploaded_video_and_audio_are_stored_with_generated_names_and_streamed(app, make_user):
    creator = make_user(role="creator")
    client = logged_in(app, creator)
    course_id = new_course(client)
    uploaded = lesson_form(client, course_id, kind="video", title="Intro", file=(io.BytesIO(WEBM), "../../x.webm"))
    uploaded.close()  # the video's processing job runs once the response is closed, as a server does
    assert uploaded.status_code == 302
    assert lesson_form(client, course_id, kind="audio", title="Talk", file=(io.BytesIO(OGG), "talk.mp3")).status_code == 302
    with app.app_context():
        video, audio = db.session.scalars(sa.select(Lesson).order_by(Lesson.id)).all()
        assert video.media_type == "video/webm" and audio.media_type == "audio/ogg"
        assert re.fullmatch(r"[0-9a-f]{32}\.webm", video.media) and video.media_name == "../../x.webm"
        assert (Path(app.instance_path) / "uploads" / "courses" / video.media).read_bytes() == WEBM
    media = client.get(source_address(client, course_id, video.id), headers={"Range": "bytes=4-7"})
    assert media.status_code == 206 and media.data == WEBM[4:8]


def test_lessons_and_chapters_reorder_with_buttons(app, make_user):
    creator = make_user(role="creator")
    course = make_course(app, creator.id, lessons=3, media=False)
    client = logged_in(app, creator)
    page = client.get(f"/courses/studio/{course.id}")
    html = page.get_data(as_text=True)  # the "Add chapter" box is labelled apart from the course title
    assert html.count('id="title"') == 1 and '<label for="chapter-title">Chapter title</label>' in html
    client.post(f"/courses/studio/lessons/{course.lessons[2]}/move", data={"csrf_token": csrf_token(page), "direction": "up"})
    text = app.test_client().get(f"/courses/{course.id}").get_data(as_text=True)
    assert text.index("Lesson 3") < text.index("Lesson 2")
    client.post(f"/courses/studio/{course.id}/chapters", data={"csrf_token": csrf_token(page), "chapter-title": "Second"})
    with app.app_context():
        second = db.session.scalar(sa.select(Chapter.id).where(Chapter.title == "Second"))
    client.post(f"/courses/studio/chapters/{second}/move", data={"csrf_token": csrf_token(page), "direction": "up"})
    client.post(f"/courses/studio/chapters/{second}", data={"csrf_token": csrf_token(page), "title": "Warm-up"})
    text = app.test_client().get(f"/courses/{course.id}").get_data(as_text=True)
    assert text.index("Warm-up") < text.index("Chapter one")


def test_other_creators_get_404_and_members_403_in_the_studio(app, make_user):
    creator = make_user(role="creator")
    course = make_course(app, creator.id)
    other = logged_in(app, make_user(role="creator"))
    assert other.get(f"/courses/studio/{course.id}").status_code == 404
    assert other.get(f"/courses/studio/lessons/{course.lessons[0]}").status_code == 404
    assert other.get(f"/courses/studio/{course.id}/learners").status_code == 404
    assert logged_in(app, make_user()).get("/courses/studio/").status_code == 403


def test_creator_sees_learners_drop_off_and_revenue(app, make_user):
    creator, buyer = make_user(role="creator"), make_user(name="Bea")
    course = make_course(app, creator.id, media=False)
    buy(logged_in(app, buyer), course.product_id)
    client = logged_in(app, creator)
    page = client.get(f"/courses/studio/{course.id}/learners").get_data(as_text=True)
    assert "Bea" in page and "¥99.00 from 1 orders" in page and "Lesson 4" in page


def test_creator_previews_the_course_as_a_member_without_access(app, make_user):
    creator = make_user(role="creator")
    course = make_course(app, creator.id)
    client = logged_in(app, creator)
    own = client.get(f"/courses/{course.id}/lessons/{course.lessons[1]}")
    assert own.status_code == 200
    outsider = client.get(f"/courses/{course.id}/lessons/{course.lessons[1]}?as=outsider")
    assert outsider.status_code == 403 and "CANARY" not in outsider.get_data(as_text=True)


def test_cover_picture_is_re_encoded_and_shown_once_published(app, make_user):
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (1600, 900), "#2b6cb0").save(png, "PNG")
    client = logged_in(app, make_user(role="creator"))
    course_id = new_course(client, cover=(io.BytesIO(png.getvalue()), "cover.png"))
    assert app.test_client().get(f"/courses/{course_id}/cover").status_code == 404  # a draft
    cover = client.get(f"/courses/{course_id}/cover")
    assert cover.mimetype == "image/webp" and Image.open(io.BytesIO(cover.data)).size == (1200, 675)
    page = client.get(f"/courses/studio/{course_id}")
    bad = client.post(f"/courses/studio/{course_id}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "title": "Writing", "level": "beginner", "language": "zh",
        "product_id": "", "membership_product_id": "", "cover": (io.BytesIO(b"%PDF-1.4 no"), "cover.png")})
    assert bad.status_code == 422 and errors(bad, "cover") == ["Upload a PNG, JPEG, WebP or GIF picture."]


def test_the_minute_clock_runs_the_course_sweeps(app):
    from kpay import clock

    with app.app_context():
        assert {"courses.published", "courses.lessons_opened"} <= set(clock.tick())


def test_dragging_a_lesson_posts_its_new_place(app, make_user):
    creator = make_user(role="creator")
    course = make_course(app, creator.id, lessons=4, media=False)
    client = logged_in(app, creator)
    page = client.get(f"/courses/studio/{course.id}")
    assert f'data-move-url="/courses/studio/lessons/{course.lessons[3]}/move"' in page.get_data(as_text=True)
    client.post(f"/courses/studio/lessons/{course.lessons[3]}/move", headers={"X-CSRFToken": csrf_token(page)},
                data={"to": "0"})
    text = app.test_client().get(f"/courses/{course.id}").get_data(as_text=True)
    assert [text.index(f"Lesson {n}") for n in (4, 1, 2, 3)] == sorted(text.index(f"Lesson {n}") for n in (4, 1, 2, 3))


def test_creator_deletes_a_lesson_after_confirming_and_learners_progress_is_recomputed(app, make_user):
    creator = make_user(role="creator")
    course = make_course(app, creator.id, lessons=4, media=False)
    learner = make_user()
    client = logged_in(app, learner)
    buy(client, course.product_id)
    for lesson_id in course.lessons[:3]:
        complete(client, course, lesson_id)
    studio = logged_in(app, creator)
    page = studio.get(f"/courses/studio/lessons/{course.lessons[3]}")
    assert f"/courses/studio/lessons/{course.lessons[3]}/delete" in page.get_data(as_text=True)
    confirm = studio.get(f"/courses/studio/lessons/{course.lessons[1]}/delete")
    assert "1 member completed this lesson" in confirm.get_data(as_text=True)
    assert count(app, Lesson, id=course.lessons[1]) == 1  # asking changes nothing
    other = logged_in(app, make_user(role="creator"))
    assert other.post(f"/courses/studio/lessons/{course.lessons[1]}/delete",
                      data={"csrf_token": csrf_token(other.get("/courses/studio/"))}).status_code == 404
    deleted = studio.post(f"/courses/studio/lessons/{course.lessons[1]}/delete",
                          data={"csrf_token": csrf_token(confirm)}, follow_redirects=True)
    assert "Lesson deleted." in deleted.get_data(as_text=True)
    assert count(app, Lesson, id=course.lessons[1]) == 0 and count(app, Completion, lesson_id=course.lessons[1]) == 0
    with app.app_context():
        enrolment = db.session.scalar(sa.select(Enrolment).filter_by(user_id=learner.id))
        assert (enrolment.completed_count, enrolment.percent, enrolment.completed_at) == (2, 66, None)
    # The last lesson left: the learner has now done them all and gets the certificate.
    confirm = studio.get(f"/courses/studio/lessons/{course.lessons[3]}/delete")
    assert "completed this lesson" not in confirm.get_data(as_text=True)
    studio.post(f"/courses/studio/lessons/{course.lessons[3]}/delete", data={"csrf_token": csrf_token(confirm)})
    with app.app_context():
        enrolment = db.session.scalar(sa.select(Enrolment).filter_by(user_id=learner.id))
        assert enrolment.percent == 100 and enrolment.completed_at and enrolment.certificate_code
    assert "Your certificate" in client.get(f"/courses/{course.id}").get_data(as_text=True)


def test_a_chapter_is_deleted_only_once_empty(app, make_user):
    creator = make_user(role="creator")
    course = make_course(app, creator.id, lessons=1, media=False)
    studio = logged_in(app, creator)
    with app.app_context():
        chapter = db.session.scalar(sa.select(Chapter.id).where(Chapter.course_id == course.id))
    confirm = studio.get(f"/courses/studio/chapters/{chapter}/delete")
    assert "Delete or move this chapter&#39;s lessons first." in confirm.get_data(as_text=True)
    refused = studio.post(f"/courses/studio/chapters/{chapter}/delete", data={"csrf_token": csrf_token(confirm)})
    assert refused.status_code == 409 and count(app, Chapter, id=chapter) == 1
    studio.post(f"/courses/studio/lessons/{course.lessons[0]}/delete", data={"csrf_token": csrf_token(confirm)})
    outline = studio.get(f"/courses/studio/{course.id}").get_data(as_text=True)
    assert f"/courses/studio/chapters/{chapter}/delete" in outline
    confirm = studio.get(f"/courses/studio/chapters/{chapter}/delete")
    assert "This cannot be undone." in confirm.get_data(as_text=True)
    studio.post(f"/courses/studio/chapters/{chapter}/delete", data={"csrf_token": csrf_token(confirm)})
    assert count(app, Chapter, id=chapter) == 0


def test_buyers_keep_the_course_when_the_creator_sells_it_through_another_product(app, make_user):
    creator, early, late = make_user(role="creator"), make_user(name="Early"), make_user(name="Late")
    course = make_course(app, creator.id, media=False)
    paid_lesson = f"/courses/{course.id}/lessons/{course.lessons[1]}"
    early_client = logged_in(app, early)
    buy(early_client, course.product_id)
    studio = logged_in(app, creator)
    new_price = add_product(app, creator.id, name="Course, second edition", price_minor=19900)
    page = studio.get(f"/courses/studio/{course.id}")
    saved = studio.post(f"/courses/studio/{course.id}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "title": "Course", "level": "beginner", "language": "zh",
        "product_id": str(new_price), "membership_product_id": ""})
    assert saved.status_code == 302
    assert early_client.get(paid_lesson).status_code == 200  # what they bought stays theirs
    late_client = logged_in(app, late)
    assert late_client.get(paid_lesson).status_code == 403
    assert f"/shop/{new_price}" in late_client.get(f"/courses/{course.id}").get_data(as_text=True)
    buy(late_client, new_price)
    assert late_client.get(paid_lesson).status_code == 200 and count(app, Enrolment, user_id=late.id) == 1
    # Saving again records nothing twice; the studio still counts the first sale.
    studio.post(f"/courses/studio/{course.id}", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(page), "title": "Course", "level": "beginner", "language": "zh",
        "product_id": str(new_price), "membership_product_id": ""})
    assert count(app, FormerProduct, course_id=course.id) == 1
    learners = studio.get(f"/courses/studio/{course.id}/learners").get_data(as_text=True)
    assert "Early" in learners and "Late" in learners and "from 2 orders" in learners
