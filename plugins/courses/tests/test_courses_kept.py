"""The catalogue's cards, a course page's facts, share card, reviews and review form, the
syllabus and lesson bodies are kept rendered per process (kpay.kept_html): what a reader sees
must stay theirs, in their language and time zone, and an edit must show at once in every worker."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from markupsafe import Markup

from kpay.extensions import db
from kpay.kept_html import KeptHtml
from kpay.models.base import utcnow
from kpay.models.commerce import Product
from plugins.courses.models import Course, Lesson
from plugins.courses.tests.conftest import ENABLED, canary, logged_in, make_course
from plugins.courses.tests.test_courses import post
from tests.commerce_helpers import buy

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def page(client, url: str, **headers) -> str:
    return client.get(url, headers=headers).get_data(as_text=True)


def card(text: str, title: str) -> str:
    """The catalogue card of the course called ``title``."""
    return next(item for item in re.findall(r'<li class="card tile course-card">.*?</li>', text, re.S) if title in item)


def syllabus(text: str) -> str:
    return re.search(r'<nav class="card syllabus".*?</nav>', text, re.S).group(0)


def checked(text: str) -> str:
    """The rating the review form shows chosen."""
    return re.search(r'<input checked[^>]*value="(\d)"', text).group(1)


def change(app, model, row_id: int, **values) -> None:
    """Change a row as the studio would (``updated_at`` and all)."""
    with app.app_context():
        db.session.execute(sa.update(model).where(model.id == row_id).values(**values))
        db.session.commit()


def test_an_edit_to_a_course_its_price_a_lesson_or_a_review_shows_at_once_in_another_worker(app, make_app, make_user):
    creator, member = make_user(role="creator", name="Teacher Chen"), make_user()
    course = make_course(app, creator.id, title="Data basics", media=False, price_minor=None)
    paid = make_course(app, creator.id, title="Paid course", media=False, price_minor=9900)
    client = logged_in(app, member)
    post(client, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
    post(client, f"/courses/{course.id}/reviews", f"/courses/{course.id}", rating="4", text="Clear and short")
    other_worker = make_app(ENABLED)
    reader, visitor = logged_in(other_worker, member), other_worker.test_client()
    assert "Data basics" in card(page(visitor, "/courses/"), "Data basics")
    assert "¥99.00" in card(page(visitor, "/courses/"), "Paid course")
    before = page(reader, f"/courses/{course.id}")
    assert "Clear and short" in before and "Lesson 2" in syllabus(before) and checked(before) == "4"
    assert ">#data</a>" not in before and "★ 4.0 (1)" in before

    change(app, Course, course.id, title="Data basics, second edition", tags="data")
    change(app, Product, paid.product_id, price_minor=4900)
    change(app, Lesson, course.lessons[1], title="Reading tables", preview=True)
    post(client, f"/courses/{course.id}/reviews/mine", f"/courses/{course.id}", rating="2", text="Too short")

    cards = page(visitor, "/courses/")
    assert "Data basics, second edition" in card(cards, "second edition") and "#data" in card(cards, "second edition")
    assert "¥49.00" in card(cards, "Paid course") and "¥99.00" not in cards
    after = page(reader, f"/courses/{course.id}")
    assert "Too short" in after and "Clear and short" not in after and checked(after) == "2"
    assert '<meta property="og:title" content="Data basics, second edition">' in after  # the share card
    assert '<p class="course-facts">' in after and ">#data</a>" in after and "★ 2.0 (1)" in after
    assert "Reading tables" in syllabus(after) and "Lesson 2" not in syllabus(after)
    lesson = page(reader, f"/courses/{course.id}/lessons/{course.lessons[0]}")
    assert "Reading tables" in syllabus(lesson) and "Data basics, second edition" in lesson


def test_a_buyer_and_a_non_buyer_each_see_their_own_buttons_and_lessons(app, make_user):
    creator, buyer, outsider = make_user(role="creator"), make_user(), make_user()
    course = make_course(app, creator.id, title="Paid course", media=False, lessons=3, preview=1)
    buyer_client, outsider_client = logged_in(app, buyer), logged_in(app, outsider)
    buy(buyer_client, course.product_id)
    post(buyer_client, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
    post(buyer_client, f"/courses/{course.id}/reviews", f"/courses/{course.id}", rating="5", text="Worth it")
    for _ in range(2):  # in both orders, from the same process's kept HTML
        as_outsider = page(outsider_client, f"/courses/{course.id}")
        as_buyer = page(buyer_client, f"/courses/{course.id}")
        assert "Buy this course" in as_outsider and "Your progress" not in as_outsider
        assert "Buy this course" not in as_buyer and "Your progress" in as_buyer
        assert syllabus(as_outsider).count(" locked") == 2 and " locked" not in syllabus(as_buyer)
        assert "Verified purchase" in as_outsider and "Verified purchase" in as_buyer
        assert "/helpful" in as_outsider and "/helpful" not in as_buyer  # not one's own review
        assert "review-form" not in as_outsider and "Edit your review" in as_buyer
        tokens = [set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', text)) for text in (as_outsider, as_buyer)]
        assert [len(each) for each in tokens] == [1, 1] and tokens[0] != tokens[1]  # each reader's own
        assert "kpay-csrf-token" not in as_outsider + as_buyer
    as_creator = page(logged_in(app, creator), f"/courses/{course.id}")
    assert 'class="reply-form"' in as_creator and 'class="reply-form"' not in as_buyer


def test_a_chinese_reader_gets_chinese_cards_reviews_and_syllabus_after_an_english_one(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    course = make_course(app, creator.id, title="Data basics", media=False, price_minor=None)
    author = logged_in(app, member)
    post(author, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
    post(author, f"/courses/{course.id}/reviews", f"/courses/{course.id}", rating="5")
    visitor = app.test_client()
    english, english_course = page(visitor, "/courses/"), page(visitor, f"/courses/{course.id}")
    assert "More by them" in english and "Free preview" in syllabus(english_course) and "Learner" in english_course
    chinese, chinese_course = page(visitor, "/courses/", **CHINESE), page(visitor, f"/courses/{course.id}", **CHINESE)
    assert "该作者的更多课程" in card(chinese, "Data basics") and "More by them" not in chinese
    assert "Free preview" not in syllabus(chinese_course) and "Learner<" not in chinese_course
    assert "More by them" in page(visitor, "/courses/")


def test_a_lesson_that_opens_later_shows_its_time_in_each_readers_time_zone(app, make_user):
    creator = make_user(role="creator")
    course = make_course(app, creator.id, price_minor=None, media=False, lessons=2, preview=0)
    opens = (utcnow() + timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)
    change(app, Lesson, course.lessons[1], opens_at=opens)
    times = {}
    for zone in ("Asia/Shanghai", "America/New_York"):
        client = app.test_client()
        client.set_cookie("kpay_tz", zone)
        times[zone] = re.search(r"Opens ([^<]+)", syllabus(page(client, f"/courses/{course.id}"))).group(1)
    assert times["Asia/Shanghai"] != times["America/New_York"]
    assert "8:00" in times["Asia/Shanghai"] and ("7:00" in times["America/New_York"] or "8:00" in times["America/New_York"])


def test_two_reviews_with_the_same_words_each_show_their_own_author(app, make_user):
    creator, first, second = make_user(role="creator"), make_user(), make_user()
    course = make_course(app, creator.id, price_minor=None, media=False)
    for member, words in ((first, "Same words"), (second, "Same words")):
        client = logged_in(app, member)
        post(client, f"/courses/{course.id}/enrol", f"/courses/{course.id}")
        post(client, f"/courses/{course.id}/reviews", f"/courses/{course.id}", rating="3", text=words)
    text = page(app.test_client(), f"/courses/{course.id}")
    assert text.count("Same words") == 2 and first.display_name in text and second.display_name in text


def test_the_catalogue_filters_show_each_readers_own_choices(app, make_user):
    make_course(app, make_user(role="creator").id, title="Data basics", tags="data", media=False)
    visitor = app.test_client()
    for _ in range(2):
        for tag, level in (("data", "beginner"), ("python", "advanced")):
            form = re.search(r"<form method=\"get\".*?</form>", page(visitor, f"/courses/?tag={tag}&level={level}"), re.S).group(0)
            assert f'value="{tag}"' in form and f'selected value="{level}"' in form
    wrong = page(visitor, "/courses/?level=expert")
    assert "Not a valid choice" in wrong and "Not a valid choice" not in page(visitor, "/courses/")


def test_a_long_lesson_body_is_kept_for_its_readers_and_an_edit_shows_at_once_in_another_worker(app, make_app, make_user):
    creator, buyer, outsider = make_user(role="creator"), make_user(), make_user()
    course = make_course(app, creator.id, title="Long reads", media=False, lessons=2, preview=1)
    paid = course.lessons[1]
    long_body = "A **long** lesson. " * 150 + canary(paid)  # longer than render_markdown remembers
    change(app, Lesson, paid, body=long_body)
    buy(logged_in(app, buyer), course.product_id)
    other_worker = make_app(ENABLED)
    url = f"/courses/{course.id}/lessons/{paid}"
    for worker in (app, other_worker):
        reader, locked = logged_in(worker, buyer), logged_in(worker, outsider)
        for _ in range(2):  # the body kept by the buyer's visit is never the outsider's
            read = reader.get(url)
            assert read.status_code == 200 and "<strong>long</strong>" in read.get_data(as_text=True)
            assert canary(paid) in read.get_data(as_text=True)
            refused = locked.get(url)
            assert refused.status_code == 403 and canary(paid) not in refused.get_data(as_text=True)
            assert "<strong>long</strong>" not in refused.get_data(as_text=True)

    change(app, Lesson, paid, body="A *short* lesson now.")
    for worker in (app, other_worker):
        text = page(logged_in(worker, buyer), url)
        assert "<em>short</em>" in text and "<strong>long</strong>" not in text and canary(paid) not in text



def test_a_lesson_body_is_kept_once_for_readers_in_every_zone_and_never_pushes_the_pages_parts_out(app, make_user):
    creator, buyer = make_user(role="creator"), make_user()
    course = make_course(app, creator.id, title="Huge reads", media=False, lessons=2, preview=1)
    paid = course.lessons[1]
    change(app, Lesson, paid, body="word " * 39_000)  # near the studio's longest body (200,000 characters)
    buy(logged_in(app, buyer), course.product_id)
    page(app.test_client(), "/courses/")
    pages_parts = set(app.extensions["kpay_kept_html"].made)
    for zone in ("Asia/Shanghai", "UTC", "America/New_York"):
        reader = logged_in(app, buyer)
        reader.set_cookie("kpay_tz", zone)
        assert page(reader, f"/courses/{course.id}/lessons/{paid}").count("word") >= 39_000
    assert pages_parts <= set(app.extensions["kpay_kept_html"].made)
    assert len(app.extensions["courses_lesson_bodies"].made) == 1


def test_a_part_too_big_to_keep_is_shown_but_leaves_the_kept_parts_alone():
    kept = KeptHtml(budget=1_000)
    kept.get(("small",), 0, lambda: Markup("<p>small</p>"))
    assert kept.get(("big",), 0, lambda: Markup("<p>" + "x" * 60 + "</p>")) == Markup("<p>" + "x" * 60 + "</p>")
    assert list(kept.made) == [("small",)] and kept.size == len("<p>small</p>")
