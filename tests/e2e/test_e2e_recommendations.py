"""In a real browser on the shared demo community: the learner who finished Data Analysis
Basics scrolls to "For you", which loads by itself, shows the paid Data Visualisation course
with its price and why, and drops an item with "Not interested" (htmx, CSRF header); on a
phone the widget fits the screen."""

from __future__ import annotations

import re

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
        assert title not in page.locator("#recs-home").inner_text()
