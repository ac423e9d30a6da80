"""Word of mouth in a real browser: Mei shares a course and downloads its poster, whose QR code
opens her link; Bo follows it, signs up and buys; Mei's commission is pending; a refund
reverses it; an admin sees the referral tree and the K-factor. And a code typed instead of a
link: at sign-up and at checkout, with the double-sided coupons it earns (members of the walk's
own, so the shared demo members stay as they are)."""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

COURSE = "写作课 · Writing That Sells"


def amount(text: str) -> float:
    return float(re.sub(r"[^0-9.]", "", text))


def context_for(browser, community, address: str):
    return browser.new_context(base_url=community.url, extra_http_headers={"X-Forwarded-For": address},
                               accept_downloads=True)


def test_a_shared_poster_brings_a_buyer_whose_refund_reverses_the_commission(browser, community, tmp_path):
    mei_context = context_for(browser, community, "10.253.0.1")
    mei = mei_context.new_page()
    log_in(mei, "member@example.com")
    mei.goto("/courses/")
    mei.get_by_role("link", name=COURSE).first.click()
    sheet = mei.locator("#share-sheet")
    link = sheet.locator("input.share-link").input_value()
    assert re.fullmatch(r"http://[^/]+/invite/[0-9a-z]+-[0-9a-z]{4}\?to=%2Fcourses%2F\d+", link)
    mei.reload()  # a boosted click swapped only the body; the share card is in the head
    og = mei.locator('meta[property="og:description"]').get_attribute("content")
    assert "0 learners" not in og and "¥199.00" in og
    with mei.expect_download() as download:
        sheet.get_by_role("link", name="Download the poster").click()
    poster = tmp_path / "poster.png"
    download.value.save_as(poster)
    scanned = [code.text for code in zxingcpp.read_barcodes(Image.open(poster))]
    assert scanned == [f"{link}&via=poster"]

    bo_context = context_for(browser, community, "10.253.0.2")
    bo = bo_context.new_page()
    bo.goto(scanned[0])
    bo.get_by_role("heading", name=COURSE).wait_for()
    bo.locator("header").get_by_role("link", name="Sign up").click()
    bo.fill("input[name=email]", "bo.friend@example.com")
    bo.fill("input[name=display_name]", "Bo Friend")
    bo.fill("input[name=password]", "a friend of mei 2026")
    bo.get_by_role("button", name="Create my account").click()
    bo.get_by_role("heading", name=re.compile("Bo Friend")).wait_for()
    bo.goto("/shop/")
    bo.get_by_role("link", name=COURSE).click()
    bo.get_by_label("Test payment (no money is taken)").check()
    bo.get_by_role("button", name="Buy now").click()
    bo.get_by_role("button", name="Pay (test)").click()
    bo.get_by_text("Payment received. Thank you!").wait_for()
    order_path = bo.url.split(community.url)[-1]

    mei.goto("/invite")
    pending = amount(mei.locator("[data-pending]").inner_text())
    assert mei.locator('tr[data-reward-status="held"]', has_text="Bo Friend").filter(has_text="19.90").count() == 1

    admin_context = context_for(browser, community, "10.253.0.3")
    admin = admin_context.new_page()
    log_in(admin, "admin@example.com")
    admin.goto("/admin/orders")
    admin.locator("tr", has_text="Bo Friend").get_by_role("link").first.click()
    admin.fill("input[name=amount]", "199")
    admin.get_by_role("button", name="Refund").click()
    admin.get_by_text("Refund recorded; the member was told.").wait_for()
    assert order_path

    mei.goto("/invite")
    assert amount(mei.locator("[data-pending]").inner_text()) == round(pending - 19.90, 2)
    assert mei.locator('tr[data-reward-status="reversed"]', has_text="Bo Friend").count() == 2  # commission, points

    admin.goto("/referrals/admin")
    admin.locator("#k-factor td[data-k]").first.wait_for()
    tree = admin.locator("#referral-tree")
    root = tree.locator("li", has_text="Mei 小美").first
    root.get_by_role("link", name=re.compile("invited")).click()  # htmx opens the branch in place
    tree.get_by_text("Bo Friend").wait_for()
    tree.get_by_text("Leo Learner 李奥").wait_for()
    assert admin.url.endswith("/referrals/admin")
    for context in (mei_context, bo_context, admin_context):
        context.close()


def sign_up(page, email: str, name: str, code: str = "") -> None:
    page.goto("/signup")
    page.fill("input[name=email]", email)
    page.fill("input[name=display_name]", name)
    page.fill("input[name=password]", "typed codes work 2026")
    if code:
        page.get_by_label("Invite code (optional)").fill(code)
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", name=re.compile(name)).wait_for()


def buy(page, product: str, coupon: str = "", code: str = "") -> None:
    page.goto("/shop/")
    page.get_by_role("link", name=product).click()
    if coupon:
        page.get_by_label("Coupon code (optional)").fill(coupon)
    if code:
        page.get_by_label("Invite code (optional)").fill(code)
    page.get_by_label("Test payment (no money is taken)").check()
    page.get_by_role("button", name="Buy now").click()
    page.get_by_role("button", name="Pay (test)").click()
    page.get_by_text("Payment received. Thank you!").wait_for()


def test_a_code_typed_at_sign_up_or_checkout_earns_commission_and_both_coupons(browser, community):
    ria_context = context_for(browser, community, "10.253.1.1")
    ria = ria_context.new_page()
    sign_up(ria, "ria.inviter@example.com", "Ria Inviter")
    ria.goto("/invite")
    code = ria.locator("[data-invite-code]").inner_text()

    tao_context = context_for(browser, community, "10.253.1.2")
    tao = tao_context.new_page()
    sign_up(tao, "tao.typed@example.com", "Tao Typed", code=code.upper().replace("-", " "))  # as read aloud
    buy(tao, "数据可视化 · Data Visualisation")
    tao.goto("/invite")
    coupon = tao.locator("[data-referral-coupons] li", has_text="20% off").locator(".code").inner_text()

    ria.goto("/invite")
    assert ria.locator('tr[data-reward-status="held"]', has_text="Tao Typed").filter(has_text="14.90").count() == 1
    assert ria.locator("[data-referral-coupons] li", has_text="10% off").count() == 1  # the inviter's side

    buy(tao, "数据分析入门 · Data Analysis Basics", coupon=coupon)  # ¥99.00, 20% off
    expect(tao.locator("main")).to_contain_text("79.20", use_inner_text=True)
    tao.goto("/invite")
    assert tao.locator("[data-referral-coupons] li", has_text=coupon).get_by_text("Used").count() == 1

    uma_context = context_for(browser, community, "10.253.1.3")
    uma = uma_context.new_page()
    sign_up(uma, "uma.checkout@example.com", "Uma Checkout")
    buy(uma, "数据分析入门 · Data Analysis Basics", code=code)  # nobody invited her: she may name Ria here
    uma.goto("/shop/")
    uma.get_by_role("link", name="数据可视化 · Data Visualisation").click()
    uma.get_by_role("heading", name="数据可视化 · Data Visualisation", level=1).wait_for()  # the product's page, not the shop's
    expect(uma.get_by_label("Invite code (optional)")).to_have_count(0)  # her inviter is fixed now

    ria.goto("/invite")
    assert ria.locator('tr[data-reward-status="held"]', has_text="Uma Checkout").filter(has_text="9.90").count() == 1
    ria.goto("/shop/")
    ria.get_by_role("link", name="数据分析入门 · Data Analysis Basics").click()
    ria.get_by_label("Invite code (optional)").fill(code)
    ria.get_by_label("Test payment (no money is taken)").check()
    ria.get_by_role("button", name="Buy now").click()
    ria.get_by_text("This is your own code: share it with a friend instead.").wait_for()
    for context in (ria_context, tao_context, uma_context):
        context.close()
