"""Pages as learners meet them: without JavaScript, and on a 360 px wide phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, PHONE, log_in, log_out

MEMBER_PAGES = [
    "/", "/hello/", "/notifications", "/account/profile", "/account/security",
    "/account/notifications", "/account/privacy/", "/account/privacy/delete",
]
ADMIN_PAGES = ["/admin/", "/admin/plugins", "/admin/members", "/admin/audit", "/admin/jobs", "/admin/outbox"]
VISITOR_PAGES = ["/", "/login", "/signup", "/reset", "/hello/", "/no-such-page"]


def test_member_uses_the_site_without_javascript(site, new_page):
    site.add_member("nojs@example.com", "Noa No-Script")
    page = new_page(javascript=False)
    log_in(page, "nojs@example.com")
    assert page.locator(".account .who-name").inner_text() == "Noa No-Script"

    page.locator("header").get_by_role("link", name="Hello").click()
    page.fill("#hello-text", "Typed without scripts")
    page.get_by_role("button", name="Post").click()  # back to /hello/, the address it was on
    expect(page.locator("#hello-greetings")).to_contain_text("Typed without scripts", use_inner_text=True)
    expect(page).to_have_url(re.compile("/hello/$"))

    # The lazy widget leaves a plain link to its content.
    page.goto("/")
    page.get_by_role("link", name="Show Latest greetings").click()
    page.get_by_text("Typed without scripts").first.wait_for()

    # A form with bad values comes back with the message beside the field.
    page.goto("/account/profile")
    page.fill("input[name=display_name]", "")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#display_name-errors")).not_to_be_empty()
    expect(page.locator("input[name=display_name]")).to_have_attribute("aria-invalid", "true")

    page.select_option("#site-locale", "zh_CN")
    page.get_by_role("button", name="Change").click()
    page.get_by_role("button", name="退出").wait_for()
    log_out(page)
    expect(page.get_by_role("link", name="登录")).to_be_visible()


def no_sideways_scroll(page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")  # the parts htmx loads by themselves are in
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide on a {PHONE['width']} px phone"


def test_every_core_page_fits_a_360_px_phone(site, new_page):
    site.add_member("phone@example.com", "Phoebe 手机 Phone-Number-Very-Long-Display-Name")
    visitor = new_page(viewport=PHONE)
    for path in VISITOR_PAGES:
        no_sideways_scroll(visitor, path)
    member = new_page(viewport=PHONE)
    log_in(member, "phone@example.com")
    for path in MEMBER_PAGES:
        no_sideways_scroll(member, path)
    admin = new_page(viewport=PHONE)
    log_in(admin, "admin@example.com", DEMO_PASSWORD)
    for path in ADMIN_PAGES:
        no_sideways_scroll(admin, path)
