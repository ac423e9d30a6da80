"""Gamification in a real browser (issue 17, "Done when"): a member completes a lesson, gets an
answer accepted and checks in two days running (the site's clock moved a day), sees points,
level and streak; a badge arrives once; the leaderboard equals a recomputation from the ledger;
deleting the accepted answer takes its points back."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytest.importorskip("plugins.gamification")


def _ledger_board(site, limit: int = 20) -> list[tuple[str, int]]:
    """The all-time board recomputed straight from the site's points ledger."""
    engine = sa.create_engine(site.env["KPAY_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT u.display_name, SUM(p.amount) AS total FROM points_entries p JOIN users u ON u.id = p.user_id "
                "GROUP BY u.id, u.display_name HAVING SUM(p.amount) > 0 ORDER BY total DESC, u.id LIMIT :n"), {"n": limit})
            return [(name, int(total)) for name, total in rows]
    finally:
        engine.dispose()


def _points(page) -> int:
    return int(re.search(r"(\d+) points?", page.locator("#gamification-level").inner_text()).group(1))


def test_points_level_streak_badge_board_and_reversal(browser, community):
    community.add_member("gina@example.com", "Gina Gamer")
    community.add_member("hank@example.com", "Hank Helper")
    machine = community.instance / "time-machine"
    gina_context = browser.new_context(base_url=community.url, extra_http_headers={"X-Forwarded-For": "10.17.0.1"})
    hank_context = browser.new_context(base_url=community.url, extra_http_headers={"X-Forwarded-For": "10.17.0.2"})
    try:
        gina, hank = gina_context.new_page(), hank_context.new_page()
        log_in(gina, "gina@example.com")
        log_in(hank, "hank@example.com")

        # A lesson of the free course.
        gina.goto("/courses/1")
        gina.get_by_role("button", name="Enrol for free").click()
        gina.get_by_role("button", name="Enrol for free").wait_for(state="detached")  # enrolled
        gina.get_by_role("link", name="如何学习 · How to learn").first.click()
        before = gina.locator("form[id^=complete-]").get_attribute("id")
        gina.get_by_role("button", name="Mark as complete").click()
        gina.wait_for_function("id => { const f = document.querySelector('form[id^=complete-]'); return !f || f.id !== id; }",
                               arg=before)

        # A question by Hank, answered by Gina and accepted.
        for page in (gina, hank):
            page.goto("/forums/c/1")
            page.get_by_role("button", name="Join", exact=True).click()
            page.wait_for_url(re.compile(r"/rules$"))
        hank.goto("/forums/c/1/new")
        hank.fill("#title", "Which book first?")
        hank.select_option("#kind", "question")
        hank.fill("#body", "Where should a beginner start?")
        hank.get_by_role("button", name="Post topic").click()
        hank.wait_for_url(re.compile(r"/forums/t/\d+$"))
        question = hank.url
        gina.goto(question)
        gina.fill("#body", "Start with the free course, then the data one.")
        gina.get_by_role("button", name="Post reply").click()
        gina.wait_for_url(re.compile(r"#post-2$"))
        hank.goto(question)
        hank.locator("#post-2").get_by_role("button", name="Accept answer").click()
        hank.get_by_text("Answer accepted").wait_for()

        # The demo's 21-day reading challenge in circle 1: today, then tomorrow.
        gina.goto("/gamification/challenges/1")
        gina.fill("#note", "Read chapter one")
        gina.get_by_role("button", name="Check in").click()
        gina.get_by_text("Checked in. Keep it going!").wait_for()
        machine.write_text(str(24 * 3600))  # the site's clock: one day later
        gina.goto("/gamification/challenges/1")
        assert "Streak: 1 day" in gina.locator("#gamification-streak").inner_text()  # today still open
        gina.fill("#note", "Read chapter two")
        gina.get_by_role("button", name="Check in").click()
        gina.get_by_text("Checked in. Keep it going!").wait_for()
        expect(gina.locator("#gamification-streak")).to_contain_text("Streak: 2 days", use_inner_text=True)

        gina.goto("/gamification/me")
        level = gina.locator("#gamification-level").inner_text()
        assert _points(gina) == 5 + 2 + 15 + 2 + 2  # lesson, first post of the day, answer, two check-ins
        assert "Level 2: Learner" in level and "Streak: 2 days" in level
        assert gina.locator(".level-badge").first.is_visible()  # beside her name in the header

        # Badges: two sweeps, one badge each, one notification each.
        community.kpay("gamification", "sweep")
        community.kpay("gamification", "sweep")
        gina.goto("/gamification/me")
        assert gina.locator("#gamification-badges").get_by_text("First post", exact=True).count() == 1
        gina.goto("/notifications")
        assert gina.get_by_text("You earned a badge: First post").count() == 1

        # The leaderboard the sweep stored is the ledger's own sum.
        gina.goto("/gamification/leaderboard?period=all")
        shown = [(item.locator("a").inner_text(), int(re.search(r"(\d+) points?", item.inner_text()).group(1)))
                 for item in gina.locator("#gamification-board li").all()]
        assert shown == _ledger_board(community)
        assert ("Gina Gamer", 26) in shown

        # Gina deletes the accepted answer: its points go back, once.
        gina.goto(question)
        gina.once("dialog", lambda dialog: dialog.accept())
        gina.locator("#post-2").get_by_role("button", name="Delete").click()
        gina.get_by_text("Your post is deleted.").wait_for()
        gina.goto("/gamification/me")
        assert _points(gina) == 26 - 15 - 2
        assert "Answer accepted (taken back)" in gina.locator("main").inner_text()
    finally:
        machine.unlink(missing_ok=True)
        gina_context.close()
        hank_context.close()
