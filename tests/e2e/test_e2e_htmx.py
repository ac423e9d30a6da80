"""The layout in a real browser: boosted navigation, htmx forms with the CSRF header, the
strict CSP, visible CSRF failures, and the Back button after logging out (S2, S3, S7, S16, S21)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import log_in, log_out, settled


def remember_this_page(page) -> None:
    """Mark the page's window: the mark survives htmx swaps, not a full page load."""
    page.evaluate("window.kpayTestMark = 'still here'")


def same_page(page) -> bool:
    return page.evaluate("window.kpayTestMark === 'still here'")


def test_member_logs_in_and_navigates_with_boosted_links(site, page):
    site.add_member("boost@example.com", "Bo Boost")
    requests = []
    page.on("request", lambda request: requests.append(request))
    log_in(page, "boost@example.com")
    assert page.locator(".account .who-name").inner_text() == "Bo Boost"

    remember_this_page(page)
    for name, path, heading in (
        ("Hello", "/hello/", "Hello!"),
        ("Notifications: 0 unread", "/notifications", "Notifications"),
        ("Bo Boost", "/account/profile", "Settings"),
    ):
        page.locator("header").get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(re.compile(re.escape(path) + "$"))
        expect(page.locator("main h1").first).to_have_text(heading, use_inner_text=True)
        assert same_page(page), f"following {name} reloaded the whole page"
        expect(page).to_have_title(re.compile("· KPay Community"))
        settled(page)  # the new header's links are boosted once the swap settles

    boosted = [r for r in requests if r.headers.get("hx-boosted") == "true"]
    assert len(boosted) == 3
    assert not [r.url for r in requests if "csrf" in r.url.lower()]


def test_htmx_form_posts_with_the_csrf_header_and_swaps_its_part(site, page):
    site.add_member("poster@example.com", "Pat Poster")
    log_in(page, "poster@example.com")
    page.goto("/hello/")
    remember_this_page(page)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/hello/")) as posted:
        page.fill("#hello-text", "Greetings from the browser")
        page.get_by_role("button", name="Post").click()
    response = posted.value
    assert response.status == 200
    assert response.request.headers.get("x-csrftoken")
    assert "csrf" not in response.request.url.lower()
    assert "Greetings from the browser" in response.text()
    # htmx swaps the part after the response has arrived; wait for the swap, not the answer.
    expect(page.locator("#hello-greetings")).to_contain_text("Greetings from the browser")
    assert same_page(page)

    # PUT and DELETE carry the token the same way; htmx would put parameters of a DELETE in
    # the URL, so the token must never be one of them.
    sent = []
    page.on("request", lambda request: sent.append(request) if request.method in ("PUT", "DELETE") else None)
    for method in ("PUT", "DELETE"):
        with page.expect_response(lambda r, m=method: r.request.method == m):
            page.evaluate(f"htmx.ajax('{method}', '/hello/', {{target: '#hello-greetings', values: {{text: 'x'}}}})")
    assert [r.method for r in sent] == ["PUT", "DELETE"]
    assert all(r.headers.get("x-csrftoken") and "csrf" not in r.url.lower() for r in sent)


def test_htmx_runs_under_a_strict_content_security_policy(site, page):
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    config = page.evaluate(
        "({allowEval: htmx.config.allowEval, allowScriptTags: htmx.config.allowScriptTags,"
        " selfRequestsOnly: htmx.config.selfRequestsOnly, historyCacheSize: htmx.config.historyCacheSize})"
    )
    assert config == {"allowEval": False, "allowScriptTags": False, "selfRequestsOnly": True, "historyCacheSize": 0}
    # The lazy widget loads when revealed, and nothing on the page breaks the policy
    # (the new_page fixture fails the test on any CSP report or script error).
    page.locator("[data-slot='home.main']").scroll_into_view_if_needed()
    page.get_by_role("heading", name="Latest greetings").wait_for()


def test_a_stale_csrf_token_on_an_htmx_post_shows_a_reload_banner_and_keeps_the_text(site, page):
    site.add_member("stale@example.com", "Sam Stale")
    log_in(page, "stale@example.com")
    page.goto("/hello/")
    page.fill("#hello-text", "Do not lose me")
    # Meanwhile, in another tab, the member logs out and in again: a new session, new tokens.
    other_tab = page.context.new_page()
    log_out_and_in(other_tab, "stale@example.com")
    other_tab.close()

    page.get_by_role("button", name="Post").click()
    banner = page.locator("#kpay-alerts")
    banner.get_by_text("This page has expired. Reload the page and try again.").wait_for()
    assert page.input_value("#hello-text") == "Do not lose me"
    assert "Do not lose me" not in page.locator("#hello-greetings").inner_text()


def log_out_and_in(page, email: str) -> None:
    page.goto("/")
    log_out(page)
    log_in(page, email)


def test_back_after_logging_out_shows_no_private_page(site, page):
    site.add_member("private@example.com", "Priya Private")
    log_in(page, "private@example.com", remember=True)
    page.locator("header").get_by_role("link", name="Priya Private").click()
    page.wait_for_url(re.compile("/account/profile$"))
    assert page.input_value("input[name=display_name]") == "Priya Private"

    def remember_cookies():
        return [c for c in page.context.cookies() if c["name"] == "remember_token"]

    assert remember_cookies()
    log_out(page)
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert remember_cookies() == []

    page.go_back()
    page.wait_for_load_state()
    assert "Priya Private" not in page.content()
    assert "/login" in page.url
    stored = page.evaluate("JSON.stringify(Object.assign({}, window.localStorage))")
    assert "Priya Private" not in stored
