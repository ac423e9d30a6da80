"""Buying in a real browser: a course with a coupon and a membership, through the sandbox."""

from __future__ import annotations

import re

from tests.e2e.conftest import log_in

COURSE = "Python 入门 · Python for Beginners"
CIRCLE = "陈老师的知识星球 · Teacher Chen's Circle"


def open_product(page, name: str) -> None:
    page.goto("/")
    page.locator("header").get_by_role("link", name="Shop").click()
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name=name).wait_for()


def test_member_buys_a_course_with_a_coupon_and_a_membership(site, page):
    site.add_member("buyer@example.com", "Bea Buyer")
    log_in(page, "buyer@example.com")

    open_product(page, COURSE)
    page.fill("input[name=coupon]", "nope")
    page.get_by_role("button", name="Buy now").click()
    assert page.locator("#coupon-errors").inner_text() == "There is no coupon with this code."
    page.fill("input[name=coupon]", "welcome20")
    page.get_by_role("button", name="Buy now").click()
    page.get_by_text("No money is taken").wait_for()
    assert "¥159.20" in page.locator("main").inner_text()
    page.get_by_role("button", name="Pay (test)").click()
    page.get_by_text("Payment received. Thank you!").wait_for()
    assert page.locator(".order-status").inner_text() == "Paid"

    open_product(page, COURSE)
    page.get_by_text("You own this.").wait_for()

    open_product(page, CIRCLE)
    page.get_by_role("button", name="Buy now").click()
    page.get_by_role("button", name="Pay (test)").click()
    page.get_by_text("Membership").wait_for()

    page.goto("/account/purchases")
    held = page.locator("main section").first.inner_text()
    assert COURSE in held and CIRCLE in held and "until" in held
    assert page.locator("tbody tr").count() == 2
    receipts = [m for m in site.emails() if m["To"] == "buyer@example.com" and m["Subject"].startswith("Receipt")]
    assert len(receipts) == 2


def test_a_fast_double_click_on_buy_makes_one_order(site, page):
    site.add_member("double@example.com", "Dee Double")
    log_in(page, "double@example.com")
    open_product(page, COURSE)
    page.get_by_role("button", name="Buy now").dblclick()
    page.wait_for_url(re.compile(r"/pay_sandbox/\d+$"))
    page.goto("/account/purchases")
    assert page.locator("tbody tr").count() == 1
