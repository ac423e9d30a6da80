"""The forums plugin in a real browser (issue 6, "Done when"): a member joins a circle and reads
its rules, asks a question that mentions another member, who is notified and answers; the
asker accepts the answer, votes in a poll, flags a post, and a moderator hides it."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, browser_pages, log_in
from tests.live import serve

pytest.importorskip("plugins.forums")


@pytest.fixture(scope="module")
def forum_site(tmp_path_factory, worker_id):
    """The demo community with the forums on (its free circle is number 1)."""
    with serve(tmp_path_factory.mktemp("e2e-forums"), f"kpay_e2e_forums_{worker_id}",
               plugins_enabled="forums,pay_sandbox", trusted_proxies="1") as running:
        running.add_member("ana@example.com", "Ana Asker")
        running.add_member("bo@example.com", "Bo Builder")
        yield running


@pytest.fixture
def person(browser, forum_site):
    """``person()``: a page in a browser context of its own, from an address of its own."""
    addresses = itertools.count(1)
    with browser_pages(browser, forum_site.url) as open_page:
        yield lambda: open_page(extra_http_headers={"X-Forwarded-For": f"10.9.0.{next(addresses)}"})


def test_question_answer_poll_flag_and_mention_in_the_browser(person):
    ana = person()
    log_in(ana, "ana@example.com")
    ana.locator("header").get_by_role("link", name="Circles").click()
    ana.get_by_role("link", name="Product design · 产品设计").click()
    ana.get_by_role("button", name="Join", exact=True).click()
    ana.wait_for_url(re.compile(r"/forums/c/1/rules$"))
    expect(ana.locator("main")).to_contain_text("Be kind and specific", use_inner_text=True)
    ana.get_by_role("link", name="I have read the rules: go to the circle").click()

    ana.get_by_role("link", name="New topic").click()
    ana.fill("#title", "How do I test a prototype?")
    ana.select_option("#kind", "question")
    ana.fill("#body", "Any tips, @BoBuilder?")
    ana.get_by_role("button", name="Post topic").click()
    ana.wait_for_url(re.compile(r"/forums/t/\d+$"))
    question_url = ana.url

    bo = person()
    log_in(bo, "bo@example.com")
    bo.goto("/notifications")
    assert "Ana Asker mentioned you in How do I test a prototype?" in bo.locator("main").inner_text()
    bo.goto("/forums/c/1")
    bo.get_by_role("button", name="Join", exact=True).click()
    bo.wait_for_url(re.compile(r"/forums/c/1/rules$"))  # joined: the rules come first
    bo.goto(question_url)
    bo.fill("#body", "Watch five people try it, and say nothing.")
    bo.get_by_role("button", name="Post reply").click()
    bo.wait_for_url(re.compile(r"#post-2$"))

    ana.goto(question_url)
    ana.locator("#post-2").get_by_role("button", name="Like").click()
    ana.locator("#post-2").get_by_role("button", name="Liked").wait_for()
    ana.locator("#post-2").get_by_role("button", name="Accept answer").click()
    ana.get_by_text("Answer accepted").wait_for()  # back on the question, the answer marked in place
    expect(ana.locator("main")).to_contain_text("How do I test a prototype?", use_inner_text=True)
    expect(ana.locator(".is-accepted")).to_contain_text("Watch five people try it", use_inner_text=True)
    expect(ana.get_by_text("Watch five people try it")).to_have_count(1)

    ana.goto("/forums/c/1")
    ana.get_by_role("link", name=re.compile("Which prototyping tool")).click()
    ana.get_by_label("Figma").check()
    ana.get_by_role("button", name="Vote").click()
    ana.locator("#poll meter").first.wait_for()
    expect(ana.locator("#poll")).to_contain_text("2 votes", use_inner_text=True)

    ana.goto(question_url)
    ana.locator("#post-2").get_by_role("link", name="Flag").click()
    ana.select_option("#reason", "off_topic")
    ana.get_by_role("button", name="Flag").click()
    ana.wait_for_url(re.compile(r"/forums/t/\d+"))

    chen = person()
    log_in(chen, "creator@example.com")
    chen.goto("/forums/c/1/queue")
    item = chen.locator(".forums-queue li", has_text="Watch five people")
    expect(item).to_contain_text("Flagged: off_topic", use_inner_text=True)
    item.get_by_role("button", name="Hide").click()
    chen.get_by_text("Nothing waits for a moderator.").wait_for()

    bo.goto(question_url)
    assert "This post is hidden." not in bo.locator("#post-2").inner_text()  # its author still sees it
    ana.goto(question_url)
    assert "Watch five people" not in ana.locator("#post-2").inner_text()
    assert "This post is hidden." in ana.locator("#post-2").inner_text()
