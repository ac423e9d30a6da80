"""Live lectures in a real browser, on the shared community site: a creator schedules a paid
weekly lecture across Berlin's spring-forward (a time that does not exist is refused beside the
field); a member buys a seat and RSVPs; a second member lands on the waiting list and is
promoted when the first cancels; the .ics parses with its alarm; a question is upvoted and
answered; a past lecture's replay plays; a visitor never sees the meeting link."""

from __future__ import annotations

import re

import icalendar

from tests.e2e.conftest import log_in

LINK = "https://meet.example/e2e-room-CANARY"


def person(browser, community, email: str, number: int):
    context = browser.new_context(base_url=community.url, locale="en-GB",
                                  extra_http_headers={"X-Forwarded-For": f"10.253.0.{number}"})
    context.set_default_timeout(20_000)  # as browser_pages': CI's cores are busy
    page = context.new_page()
    log_in(page, email)
    if page.locator("html").get_attribute("lang") != "en":  # another walk may have left the shared member in Chinese
        page.select_option("#site-locale", "en")
        with page.expect_response(lambda response: response.url.endswith("/language")):
            page.locator("footer .language button").click()
        page.goto("/")  # htmx swaps only the body of the boosted form's answer, not <html lang>
        page.locator("html[lang=en]").wait_for(state="attached")
    return page


def buy_a_seat(page) -> None:
    page.get_by_role("link", name="Buy a seat").click()
    page.get_by_label("Test payment (no money is taken)").check()
    page.get_by_role("button", name="Buy now").click()
    page.get_by_role("button", name="Pay (test)").click()
    page.get_by_text("Payment received. Thank you!").wait_for()


def test_paid_lecture_from_scheduling_to_replay(browser, community):
    creator = person(browser, community, "creator@example.com", 1)
    creator.goto("/live/studio/new")
    creator.get_by_label("Title").fill("DST Live")
    creator.get_by_label("Starts at (local time)").fill("2027-03-28T02:30")
    creator.get_by_label("Time zone").fill("Europe/Berlin")
    creator.get_by_label("Seats").fill("1")
    creator.get_by_label("Sold as").select_option(label="写作课 · Writing That Sells")
    creator.get_by_label("Meeting link").fill(LINK)
    creator.get_by_label("Repeat weekly until").fill("2027-04-03")
    creator.get_by_role("button", name="Schedule", exact=True).click()
    creator.get_by_text("This local time does not exist in this zone").wait_for()
    creator.get_by_label("Starts at (local time)").fill("2027-03-27T09:00")
    creator.get_by_role("button", name="Schedule", exact=True).click()
    creator.get_by_role("heading", name="DST Live").wait_for()
    creator.wait_for_load_state()  # the whole page, not only its heading, before reading it
    lecture = creator.url.rstrip("/")
    # Shown in the site's zone, with the organizer's wall time beside it: 09:00 Berlin both weeks.
    assert "2027-03-27 09:00 Europe/Berlin" in creator.content()
    number = int(lecture.rsplit("/", 1)[1])
    creator.goto(f"/live/{number + 1}")
    assert "2027-04-03 09:00 Europe/Berlin" in creator.content()

    member = person(browser, community, "member@example.com", 2)
    member.goto(f"/live/{number}")
    buy_a_seat(member)
    member.goto(f"/live/{number}")
    member.get_by_role("button", name="I am going").click()
    member.get_by_text("You are going.").first.wait_for()

    learner = person(browser, community, "learner@example.com", 3)
    learner.goto(f"/live/{number}")
    buy_a_seat(learner)
    learner.goto(f"/live/{number}")
    learner.get_by_role("button", name="Join the waiting list").click()
    learner.get_by_text("You are on the waiting list.").wait_for()

    member.get_by_role("button", name="I cannot come").click()
    member.get_by_role("button", name="Join the waiting list").wait_for()  # the seat went to the first in line
    learner.reload()
    learner.get_by_text("You are going.").first.wait_for()

    ics = learner.request.get(f"/live/{number}.ics")
    event = next(iter(icalendar.Calendar.from_ical(ics.body()).walk("VEVENT")))
    assert event["dtstart"].dt.hour == 9 and len(event.walk("VALARM")) == 2
    assert LINK.encode() not in ics.body()

    learner.get_by_label("Your question").fill("Does 09:00 stay 09:00 after the change?")
    learner.get_by_role("button", name="Ask").click()
    learner.get_by_text("Does 09:00 stay 09:00 after the change?").wait_for()
    creator.goto(f"/live/{number}")
    creator.get_by_role("button", name="▲ Upvote").click()
    creator.get_by_text("1 vote").wait_for()
    creator.get_by_role("button", name="Mark answered").click()
    creator.locator("#lecture-questions").get_by_text("Answered", exact=True).wait_for()  # not "Mark answered"
    assert LINK not in learner.content()  # a month and more ahead: the link is not open yet

    member.goto("/live/past")
    member.get_by_role("link", name=re.compile("How to Take Reading Notes")).click()
    member.locator("#replay iframe").wait_for()
    assert "player.bilibili.com" in member.locator("#replay iframe").get_attribute("src")

    visitor = browser.new_context(base_url=community.url, extra_http_headers={"X-Forwarded-For": "10.253.0.9"})
    for path in (f"/live/{number}", f"/live/{number}.ics", "/live/", "/live/month?m=2027-03"):
        assert LINK not in visitor.request.get(path).text()
    for page in (creator, member, learner):
        page.context.close()
    visitor.close()


def test_times_follow_the_browser_zone_and_pages_work_without_javascript(browser, community):
    """The page script tells the site the browser's zone: from the next page on, lecture times are
    shown in it. Without JavaScript the same list still shows every time, in the site's zone."""
    for javascript in (True, False):
        context = browser.new_context(base_url=community.url, locale="en-GB", timezone_id="America/New_York",
                                      java_script_enabled=javascript,
                                      extra_http_headers={"X-Forwarded-For": f"10.253.0.{20 + javascript}"})
        page = context.new_page()
        page.goto("/live/past")
        page.goto("/live/past")
        times = page.locator(".lecture-row time").all_inner_texts()
        assert times and all(("(America/New_York)" in t) is javascript for t in times)
        context.close()
