"""Buying in a real browser: a course with a coupon and a membership, through the sandbox."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import log_in

COURSE = "Python 入门 · Python for Beginners"
CIRCLE = "陈老师的知识星球 · Teacher Chen's Circle"


def open_product(page, name: str) -> None:
    page.goto("/")
    page.locator("header").get_by_role("link", name="Shop").click()
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name=name, level=1).wait_for()  # the shop's cards have it as a heading too


def buy_now(page, way: str = "Test payment (no money is taken)") -> None:
    page.get_by_label(way).check()
    page.get_by_role("button", name="Buy now").click()


def test_member_buys_a_course_with_a_coupon_and_a_membership(site, page):
    site.add_member("buyer@example.com", "Bea Buyer")
    log_in(page, "buyer@example.com")

    open_product(page, COURSE)
    page.fill("input[name=coupon]", "nope")
    buy_now(page)
    expect(page.locator("#coupon-errors")).to_have_text("There is no coupon with this code.", use_inner_text=True)
    page.fill("input[name=coupon]", "welcome20")
    buy_now(page)
    # Not "No money is taken" alone: the product page's "Test payment (no money is taken)" has it too.
    page.get_by_text("No money is taken. This checkout is for trying the site.").wait_for()
    expect(page.locator("main")).to_contain_text("¥159.20", use_inner_text=True)
    page.get_by_role("button", name="Pay (test)").click()
    page.get_by_text("Payment received. Thank you!").wait_for()
    expect(page.locator(".order-status")).to_have_text("Paid", use_inner_text=True)

    open_product(page, COURSE)
    page.get_by_text("You own this.").wait_for()

    open_product(page, CIRCLE)
    buy_now(page)
    page.get_by_role("button", name="Pay (test)").click()
    page.get_by_text("Payment received. Thank you!").wait_for()
    page.get_by_text("Membership").wait_for()

    page.goto("/account/purchases")
    held = page.locator("main section").first.inner_text()
    assert COURSE in held and CIRCLE in held and "until" in held
    assert page.locator("tbody tr").count() == 2
    # A receipt is mailed by a job that runs after the payment's answer: one for each purchase.
    for product in (COURSE, CIRCLE):
        site.wait_for_email("buyer@example.com", f"Receipt for {product}")
    receipts = [m for m in site.emails() if m["To"] == "buyer@example.com" and m["Subject"].startswith("Receipt")]
    assert len(receipts) == 2


def test_a_fast_double_click_on_buy_makes_one_order(site, page):
    site.add_member("double@example.com", "Dee Double")
    log_in(page, "double@example.com")
    open_product(page, COURSE)
    page.get_by_label("Test payment (no money is taken)").check()
    page.get_by_role("button", name="Buy now").dblclick()
    page.wait_for_url(re.compile(r"/pay_sandbox/\d+$"))
    page.goto("/account/purchases")
    assert page.locator("tbody tr").count() == 1


def test_creator_sells_a_member_pays_by_transfer_an_admin_confirms_and_refunds_and_the_statement_adds_up(
    site, new_page
):
    site.add_member("maker@example.com", "Mo Maker", role="creator")
    site.add_member("transfer@example.com", "Tia Transfer")

    creator = new_page()
    log_in(creator, "maker@example.com")
    creator.locator("header").get_by_role("link", name="Studio").click()
    creator.get_by_role("link", name="New product").click()
    creator.fill("input[name=name]", "Browser Course")
    creator.fill("input[name=price]", "100")
    creator.get_by_role("button", name="Save").click()
    creator.get_by_text("The product is created.").wait_for()

    member = new_page()
    log_in(member, "transfer@example.com")
    open_product(member, "Browser Course")
    buy_now(member, "Bank or QR transfer")
    member.get_by_text("China Merchants Bank").wait_for()
    member.get_by_role("button", name="I have transferred the money").click()
    expect(member.locator("#reference-errors")).to_contain_text("Enter the reference of your transfer.", use_inner_text=True)
    member.fill("input[name=reference]", "CMB 20261130 Tia")
    member.get_by_role("button", name="I have transferred the money").click()
    member.get_by_text("Waiting for the payment to be confirmed").wait_for()
    order_url = member.url

    admin = new_page()
    log_in(admin, "admin@example.com")
    admin.goto("/admin/orders")
    admin.locator("tr", has_text="Browser Course").get_by_role("link").first.click()
    admin.get_by_role("button", name="Confirm payment").click()
    admin.get_by_text("Payment confirmed; the member has access now.").wait_for()
    admin.fill("input[name=amount]", "30")
    admin.get_by_role("button", name="Refund").click()
    admin.get_by_text("Refund recorded; the member was told.").wait_for()

    member.goto(order_url)
    assert member.locator(".order-status").inner_text() == "Paid"
    assert "¥30.00" in member.locator("main").inner_text()

    creator.goto("/studio/revenue")
    figures = creator.locator("main dl").first.inner_text()
    for label, amount in (("Gross", "100.00"), ("Refunds", "30.00"), ("Platform fee", "7.00"), ("Net", "63.00")):
        assert re.search(rf"{label}\s+(CN)?¥{re.escape(amount)}", figures), figures
