"""The analytics dashboard in a real browser: the admin changes the range through htmx (the
page stays, the address follows) and downloads a table as CSV."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in


@pytest.fixture
def live_site(community):
    return community


def test_admin_changes_the_range_with_htmx_and_downloads_a_csv(page):
    log_in(page, "owner@example.com")
    page.goto("/analytics/")
    assert page.locator("main h1").inner_text() == "Analytics"
    assert "(30 days)" in page.locator("#analytics-figures > p").first.inner_text()
    page.evaluate("window.kpayTestMark = 'still here'")

    with page.expect_response(lambda r: "/analytics/?" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_role("link", name="Last year").click()
    page.wait_for_url(re.compile(r"/analytics/\?start="))
    expect(page.locator("#analytics-figures > p").first).to_contain_text("(365 days)")
    assert page.evaluate("window.kpayTestMark === 'still here'"), "the range change reloaded the whole page"
    expect(page.locator("#chart-members svg title")).to_have_text("Members")

    page.select_option("select[name=group]", "month")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"group=month"))
    expect(page.locator("#analytics-figures > p").first).to_contain_text(", by month.")
    assert page.evaluate("window.kpayTestMark === 'still here'")

    with page.expect_download() as download:
        page.locator("#analytics-funnel").get_by_role("link", name="Download CSV").first.click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "source,visits,signups,first_purchases,repeat_purchases"
    assert re.search(r"^direct,\d+,\d+,", text, re.M), text[:300]
    assert download.value.suggested_filename.startswith("analytics-funnel-")
