"""Actions that cannot be taken back ask first (with JavaScript) and say what they did."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import log_in


def test_leaving_a_circle_asks_first_and_then_says_so(browser, community):
    community.add_member("leaver@example.com", "Lea Leaver")
    context = browser.new_context(base_url=community.url, extra_http_headers={"X-Forwarded-For": "10.252.0.1"})
    page = context.new_page()
    log_in(page, "leaver@example.com")
    page.goto("/forums/c/1")
    page.get_by_role("button", name="Join").click()
    page.wait_for_url(re.compile("/rules$"))
    page.goto("/forums/c/1")

    page.once("dialog", lambda dialog: dialog.dismiss())
    with page.expect_event("dialog") as asked:
        page.get_by_role("button", name="Leave").click()
    assert asked.value.message.startswith("Leave Product design")
    assert page.get_by_role("button", name="Leave").is_visible()  # dismissed: still a member

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Leave").click()
    page.get_by_text("You left Product design").wait_for()
    expect(page.get_by_role("button", name="Join")).to_be_visible()
    context.close()
