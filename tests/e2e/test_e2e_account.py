"""A member's whole lifecycle in a real browser: sign up, confirm, log out, reset the password
from the e-mail, log in, change settings, get a notification, download their data."""

from __future__ import annotations

import json
import re
import zipfile

from playwright.sync_api import expect

from tests.e2e.conftest import link_in, log_in, log_out

EMAIL = "ada@example.com"


def field_errors(page, name: str):
    """The messages beside field ``name`` (the page before may have shown others there)."""
    return page.locator(f"#{name}-errors")


def test_member_signs_up_confirms_resets_changes_settings_and_downloads_their_data(site, page, tmp_path):
    # Sign up, with the password refused twice beside its field.
    page.goto("/")
    page.locator("header").get_by_role("link", name="Sign up").click()
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=display_name]", "Ada Lovelace")
    page.fill("input[name=password]", "short")
    page.get_by_role("button", name="Create my account").click()
    expect(field_errors(page, "password")).to_contain_text("between 10 and 128 characters", use_inner_text=True)
    expect(page.locator("input[name=email]")).to_have_value(EMAIL)
    page.fill("input[name=password]", "qwertyuiop")
    page.get_by_role("button", name="Create my account").click()
    expect(field_errors(page, "password")).to_contain_text("common", use_inner_text=True)
    page.fill("input[name=password]", "analytical engine 1843")
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", name="Welcome back, Ada Lovelace").wait_for()  # logged in at once
    expect(page.locator("#unconfirmed-banner")).to_contain_text(EMAIL, use_inner_text=True)

    # Confirm the address from the e-mail: the link shows a button, the POST confirms.
    page.goto(link_in(site.wait_for_email(EMAIL, "Confirm your e-mail address"), "/confirm/"))
    page.get_by_role("button", name=f"Confirm {EMAIL}").click()
    page.get_by_text("Your e-mail address is confirmed.").wait_for()
    expect(page.locator("#unconfirmed-banner")).to_have_count(0)
    log_out(page)

    log_in(page, EMAIL, "analytical engine 1843")
    page.get_by_role("heading", name="Welcome back, Ada Lovelace").wait_for()
    log_out(page)

    # Forgot the password: reset it from the e-mailed link, then log in with the new one.
    page.get_by_role("link", name="Log in").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.fill("input[name=email]", EMAIL)
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    reset_link = link_in(site.wait_for_email(EMAIL, "Reset your password"), "/reset/")
    page.goto(reset_link)
    page.fill("input[name=password]", "difference engine 1822")
    page.get_by_role("button", name="Save my new password").click()
    page.get_by_text("Your password has been changed. Log in with the new one.").wait_for()
    page.goto(reset_link)
    page.get_by_text("This link has already been used").wait_for()
    log_in(page, EMAIL, "difference engine 1822")

    # Settings: a new name and time zone; account notices in the app only.
    page.locator("header").get_by_role("link", name="Ada Lovelace").click()
    page.fill("input[name=display_name]", "Ada King")
    page.select_option("select[name=timezone]", "Europe/London")
    page.fill("textarea[name=bio]", "Notes on the *Analytical Engine*")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Your profile is saved.").wait_for()
    expect(page.locator(".account .who-name")).to_have_text("Ada King", use_inner_text=True)
    page.locator("nav.tabs").get_by_role("link", name="Notifications").click()
    page.get_by_label("Account and security").select_option("in_app")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your notification settings are saved.").wait_for()

    # Ask for the data: the page updates itself when it is ready, and the bell says so.
    page.locator("nav.tabs").get_by_role("link", name="Privacy").click()
    page.locator("main").get_by_role("button", name="Download my data").click()
    page.get_by_text("Your data is ready.").wait_for(timeout=60_000)  # the page asks every 5 s; a job makes the file
    page.locator("header").get_by_role("link", name="Notifications: 1 unread").click()
    page.get_by_role("button", name="Your data is ready to download for 7 days.").click()
    page.wait_for_url(re.compile("/account/privacy/$"))
    expect(page.locator("header").get_by_role("link", name="Notifications: 0 unread")).to_be_visible()
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download the ZIP file").click()
    archive = tmp_path / "data.zip"
    downloading.value.save_as(archive)
    with zipfile.ZipFile(archive) as data:
        profile = json.loads(data.read("profile.json"))
    assert (profile["email"], profile["display_name"], profile["timezone"]) == (EMAIL, "Ada King", "Europe/London")
    assert [m["Subject"] for m in site.emails() if m["To"] == EMAIL and "ready" in m["Subject"]] == []
