"""Courses in a real browser: a visitor previews a free lesson, buys the course with the
sandbox, completes its lessons, sees the 30 % notice, opens the certificate and reviews the
course; a creator builds a course with a scheduled lesson and publishes it; a creator uploads
a video through a dropped connection, and a buyer streams its HLS renditions from signed
addresses that a visitor, and the buyer once their access ends, cannot use."""

from __future__ import annotations

import re
import subprocess

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from kpay.testing.databases import psycopg_url
from tests.e2e.conftest import log_in
from tests.live import serve

COURSE = "数据分析入门 · Data Analysis Basics"


@pytest.fixture(scope="module")
def site(tmp_path_factory, worker_id):
    """The demo community with courses and the sandbox payment provider."""
    with serve(tmp_path_factory.mktemp("e2e-courses"), f"kpay_e2e_courses_{worker_id}",
               plugins_enabled="courses,pay_sandbox", trusted_proxies="1",
               plugins_courses_hls_heights="240,360", plugins_courses_hls_preset="ultrafast") as running:
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


def buy_the_course(page) -> None:
    page.goto("/courses/")
    page.get_by_role("link", name=COURSE).click()
    page.get_by_role("link", name="Buy this course").click()
    page.get_by_label("Test payment (no money is taken)").check()
    page.get_by_role("button", name="Buy now").click()
    page.get_by_role("button", name="Pay (test)").click()
    page.get_by_text("Payment received. Thank you!").wait_for()


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
    buy_the_course(page)

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
    expect(page.locator("main")).to_contain_text("Stu Dent", use_inner_text=True)

    page.go_back()
    page.get_by_label("★★★★★", exact=True).check()
    page.fill("textarea[name=text]", "Short and clear.")
    page.get_by_role("button", name="Publish review").click()
    page.get_by_text("Thank you for your review.").wait_for()
    expect(page.locator("#reviews")).to_contain_text("Short and clear.", use_inner_text=True)


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
    expect(page.locator("#outline")).to_contain_text("Opens", use_inner_text=True)

    page.get_by_role("button", name="Move up: Week two").click()
    page.locator("#outline li.studio-lesson").first.filter(has_text="Week two").wait_for()

    page.select_option("select[name=action]", "now")
    page.locator("#publishing").get_by_role("button", name="Save").click()
    page.get_by_text("The course is published.").wait_for()
    page.goto("/courses/")
    page.get_by_role("link", name="Speaking with confidence").wait_for()


def test_a_video_uploaded_through_a_dropped_connection_streams_signed_hls_to_buyers_only(site, new_page, tmp_path):
    clip = tmp_path / "talk.mp4"  # 8 s of noisy 640×360 H.264: about 10 MB, two 8 MiB chunks
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=24", "-f", "lavfi",
                    "-i", "sine=frequency=440", "-t", "8", "-vf", "noise=alls=40:allf=t", "-c:v", "libx264",
                    "-preset", "ultrafast", "-b:v", "10M", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-movflags", "+faststart", str(clip)], check=True)
    assert clip.stat().st_size > 8 * 2**20
    creator = new_page()
    log_in(creator, "creator@example.com")
    creator.locator("header").get_by_role("link", name="My courses").click()
    creator.get_by_role("link", name=COURSE).click()
    creator.get_by_role("link", name="+ Add a lesson").last.click()  # in the last chapter: after every lesson
    creator.get_by_role("heading", name="New lesson").wait_for()
    creator.fill("input[name=title]", "Video walkthrough")
    creator.select_option("select[name=kind]", "video")
    dropped = []

    def drop_the_second_chunk_once(route):
        request = route.request
        if request.method == "PATCH" and request.headers.get("upload-offset") != "0" and not dropped:
            dropped.append(request.headers["upload-offset"])
            route.abort("connectionreset")
        else:
            route.continue_()

    creator.route("**/uploads/*", drop_the_second_chunk_once)
    creator.set_input_files("input[name=file]", str(clip))
    creator.get_by_text("talk.mp4 is uploaded. Save the lesson to use it.").wait_for(timeout=60_000)
    assert dropped and creator.locator("[data-upload-status] progress").evaluate("bar => bar.value === bar.max")
    creator.get_by_role("button", name="Save lesson").click()
    creator.get_by_text("Lesson saved.").wait_for()

    site.add_member("viewer@example.com", "Vi Ewer")
    member = new_page()
    log_in(member, "viewer@example.com")
    buy_the_course(member)
    member.goto("/courses/")
    member.get_by_role("link", name=COURSE).click()
    member.get_by_role("link", name="Video walkthrough").first.click()
    fetched = []
    member.on("response", lambda response: fetched.append((response.url, response.status)))
    video = member.locator("video[data-hls]")
    video.wait_for(timeout=120_000)  # "being prepared ... % done" until the job has made the renditions
    # hls.js takes the video over when htmx settles the swap (htmx:load): playing before that
    # would start the uploaded file, which hls.js then stops.
    member.wait_for_function("() => document.querySelector('video[data-hls]').currentSrc.startsWith('blob:')")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    member.wait_for_function("() => document.querySelector('video').currentTime > 5.2", timeout=60_000)
    assert any(url.endswith(".ts") and status == 200 for url, status in fetched)
    video.evaluate("v => v.pause()")
    member.reload()
    member.wait_for_function("() => document.querySelector('video').currentTime >= 5")  # resumed

    master = member.locator("video").get_attribute("data-hls")
    segment = master.replace("master.m3u8", "240p/seg0000.ts")
    assert member.request.get(master).status == 200 and member.request.get(segment).status == 200
    visitor = new_page()
    assert visitor.request.get(master).status == 403 and visitor.request.get(segment).status == 403
    engine = sa.create_engine(psycopg_url(site.env["KPAY_DATABASE_URL"]))
    with engine.begin() as connection:  # the buyer's access ends (a full refund revokes it)
        connection.execute(sa.text("UPDATE entitlements SET status = 'revoked' WHERE user_id = "
                                   "(SELECT id FROM users WHERE email = 'viewer@example.com')"))
    engine.dispose()
    assert member.request.get(master).status == 403 and member.request.get(segment).status == 403
