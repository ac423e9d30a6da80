"""Search as a visitor types it: Chinese and English, highlights from courses and circles, and a
paid lesson found by its title only, locked."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import settled


def test_visitor_searches_in_chinese_and_english_and_meets_a_locked_lesson(browser, community):
    context = browser.new_context(base_url=community.url, extra_http_headers={"X-Forwarded-For": "10.251.0.1"})
    page = context.new_page()
    page.goto("/")
    page.get_by_role("searchbox", name="Search").fill("数据")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    results = page.locator("#search-results")
    expect(results.locator("mark").first).to_have_text("数据")
    expect(results.get_by_role("heading", name="Courses")).to_be_visible()

    # Typing replaces the results without a page load (htmx, newest answer wins): once the
    # boosted page has settled, so that htmx listens to the new form.
    settled(page)
    box = page.get_by_role("searchbox", name="Words to find")
    box.fill("prototyping")
    expect(results.get_by_role("link", name=re.compile("Which prototyping tool"))).to_be_visible()
    expect(results.locator("mark", has_text="prototyping").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=prototyping"))
    results.get_by_role("link", name=re.compile("Which prototyping tool")).click()
    page.wait_for_url(re.compile(r"/forums/t/\d+"))

    page.goto("/search/?q=cleaning")
    hit = page.locator(".search-hit", has_text="Cleaning data")
    expect(hit).to_contain_text("This is paid content")
    expect(hit.get_by_role("link", name="Unlock")).to_be_visible()
    expect(hit.locator(".snippet")).to_have_count(0)
    assert "missing values" not in page.content()

    page.goto("/search/?q=missing+values")
    expect(page.locator("#search-results")).to_contain_text("Nothing found")
    context.close()
