"""Courses in a real browser: a visitor previews a free lesson, buys the course with the
sandbox, completes its lessons, sees the 30 % notice, opens the certificate and reviews the
course; a creator builds a course with a scheduled lesson and publishes it."""

from __future__ import annotations

import re
import pytest

from tests.e2e.conftest import log_in
from tests.live import serve

COURSE = "数据分析入门 · Data Analysis Basics"


@pytest.fixture(scope="module")
def site(tmp_path_factory, worker_id):
    """The demo community with courses and the sandbox payment provider."""
    with serve(tmp_path_factory.mktemp("e2e-courses"), f"kpay_e2e_courses_{worker_id}",
               plugins_enabled="courses,pay_sandbox", trusted_proxies="1") as running:
        yield running


def complete_and_move_on(page) -> None:
    """Mark the open lesson complete and wait until the next lesson's form is on the page
    (the URL of a boosted page changes before its content does)."""
    before = page.locator("form[id^=complete-]").get_attribute("id")
    page.get_by_role("button", name="Mark as complete").click()
    page.wait_for_function(
        "id => { const form = document.querySelector('form[id^=complete-]'); return form && form.id !== id; }",
        arg=before,
    )


def add_a_lesson(page) -> None:
    """Open the new-lesson form and wait for it: the link is boosted, so the course page
    (with title boxes of its own) stays until the form arrives."""
    page.get_by_role("link", name="+ Add a lesson").click()
    page.get_by_role("heading", name="New lesson").wait_for()


def test_visitor_previews_buys_learns_gets_a_certificate_and_reviews(site, page):
    page.goto("/")
    page.locator("header").get_by_role("link", name="Courses").click()
    page.get_by_role("link", name=COURSE).click()
    page.get_by_role("link", name="课程介绍 · Welcome").first.click()
    page.get_by_text("This lesson is a free preview").wait_for()
    page.get_by_role("link", name="什么是数据 · What data is").first.click()
    page.get_by_role("link", name="Buy this course").wait_for()
    assert "Data are recorded facts" not in page.content()

    site.add_member("student@example.com", "Stu Dent")
    log_in(page, "student@example.com")
    page.goto("/courses/")
    page.get_by_role("link", name=COURSE).click()
    page.get_by_role("link", name="Buy this course").click()
    page.get_by_label("Test payment (no money is taken)").check()
    page.get_by_role("button", name="Buy now").click()
    page.get_by_role("button", name="Pay (test)").click()
    page.get_by_text("Payment received. Thank you!").wait_for()

    page.goto("/courses/")
    page.get_by_role("link", name=COURSE).click()
    page.get_by_text("Your progress: 0%").wait_for()
    page.get_by_role("link", name=re.compile("Continue where you left off")).click()
    for _ in range(2):
        complete_and_move_on(page)
    page.goto("/notifications")
    page.get_by_text("Congratulations, you have completed 30% of the course!").wait_for()

    page.goto("/courses/")
    page.get_by_role("link", name=COURSE).click()
    page.get_by_role("link", name=re.compile("Continue where you left off")).click()
    for _ in range(2):
        complete_and_move_on(page)
    page.get_by_role("button", name="Mark as complete").click()  # the last lesson
    page.get_by_text("You finished the course. Well done!").wait_for()

    page.goto("/courses/")
    page.get_by_role("link", name=COURSE).click()
    page.get_by_role("link", name="Your certificate").click()
    page.get_by_role("heading", name="Certificate of completion").wait_for()
    assert "Stu Dent" in page.locator("main").inner_text()

    page.go_back()
    page.get_by_label("★★★★★", exact=True).check()
    page.fill("textarea[name=text]", "Short and clear.")
    page.get_by_role("button", name="Publish review").click()
    page.get_by_text("Thank you for your review.").wait_for()
    assert "Short and clear." in page.locator("#reviews").inner_text()


def test_creator_builds_a_course_with_a_scheduled_lesson(site, page):
    log_in(page, "creator@example.com")
    page.locator("header").get_by_role("link", name="My courses").click()
    page.get_by_role("link", name="New course").click()
    page.fill("input[name=title]", "Speaking with confidence")
    page.get_by_role("button", name="Save course").click()
    page.get_by_text("Course saved.").wait_for()

    add_a_lesson(page)
    page.fill("input[name=title]", "Warm-up")
    page.fill("textarea[name=body]", "Breathe in, breathe out.")
    page.get_by_label("Free preview: open to everyone").check()
    page.get_by_role("button", name="Save lesson").click()
    page.get_by_text("Lesson saved.").wait_for()
    add_a_lesson(page)
    page.fill("input[name=title]", "Week two")
    page.fill("textarea[name=body]", "Later.")
    page.fill("input[name=opens_at]", "2030-01-01T09:00")
    page.get_by_role("button", name="Save lesson").click()
    page.get_by_text("Lesson saved.").wait_for()
    assert "Opens" in page.locator("#outline").inner_text()

    page.get_by_role("button", name="Move up: Week two").click()
    page.locator("#outline li.studio-lesson").first.filter(has_text="Week two").wait_for()

    page.select_option("select[name=action]", "now")
    page.locator("#publishing").get_by_role("button", name="Save").click()
    page.get_by_text("The course is published.").wait_for()
    page.goto("/courses/")
    page.get_by_role("link", name="Speaking with confidence").wait_for()
