"""In a real browser on the shared demo community: the learner who finished Data Analysis
Basics scrolls to "For you", which loads by itself, shows the paid Data Visualisation course
with its price and why, and drops an item with "Not interested" (htmx, CSRF header); on a
phone the widget fits the screen."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import browser_pages, log_in


def reveal(page) -> None:
    """Scroll the lazy "For you" widget into view and wait until it has loaded."""
    page.locator('[hx-get="/recommendations/for-you"]').scroll_into_view_if_needed()
    page.locator("#recs-home").wait_for()


def test_learner_sees_why_a_paid_course_is_suggested_and_drops_one(browser, community):
    with browser_pages(browser, community.url) as open_page:
        for viewport in ({"width": 1280, "height": 800}, {"width": 360, "height": 740}):
            page = open_page(viewport=viewport)
            log_in(page, "learner@example.com")
            reveal(page)
            widget = page.locator("#recs-home")
            item = widget.locator("li", has_text="Data Visualisation")
            assert re.search(r"149\.00", item.inner_text())
            # In the learner's language, which another walk on the shared site may have set to Chinese.
            assert "Because you finished" in item.inner_text() or "因为您学完了" in item.inner_text()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        first = widget.locator("li").first
        title = first.locator(".recs-title").inner_text()
        first.get_by_role("button", name=re.compile("Not interested|不感兴趣")).click()
        widget.locator("li", has_text=title).wait_for(state="detached")
        page.reload()
        reveal(page)
        expect(page.locator("#recs-home")).not_to_contain_text(title, use_inner_text=True)


def test_visitor_sees_what_to_join_after_a_lecture_and_the_widget_reports_itself(browser, community):
    with browser_pages(browser, community.url) as open_page:
        for viewport in ({"width": 1280, "height": 800}, {"width": 360, "height": 740}):
            page = open_page(viewport=viewport)
            page.goto("/live/")
            with page.expect_response(lambda r: "/recommendations/shown/" in r.url) as shown:
                page.get_by_role("link", name=re.compile("Weekly Coding Q&A")).first.click()
                page.locator('[data-slot="lecture.side"]').scroll_into_view_if_needed()
                widget = page.locator("#recs-lecture")
                widget.wait_for()
            assert shown.value.status == 204 and shown.value.request.method == "POST"
            assert "From the same series" in widget.inner_text() or "来自同一系列" in widget.inner_text()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        paid = widget.locator("li", has_text="Live Writing Class")
        assert re.search(r"29\.00", paid.inner_text())
        # The page is already a lecture's (/live/N): wait for the address of this one.
        lecture = paid.locator(".recs-title").get_attribute("href")
        assert re.fullmatch(r"/live/\d+", lecture)
        with page.expect_response(lambda r: "/recommendations/go/" in r.url) as clicked:
            paid.locator(".recs-title").click()
        assert clicked.value.status == 204
        page.wait_for_url(re.compile(re.escape(lecture) + "$"))
        expect(page.locator("h1")).to_contain_text("Live Writing Class", use_inner_text=True)
