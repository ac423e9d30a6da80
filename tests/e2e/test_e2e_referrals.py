"""Word of mouth in a real browser: Mei shares a course and downloads its poster, whose QR code
opens her link; Bo follows it, signs up and buys; Mei's commission is pending; a refund
reverses it; an admin sees the referral tree and the K-factor."""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image

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
