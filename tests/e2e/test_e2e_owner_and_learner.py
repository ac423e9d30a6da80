"""In a real browser, on a site whose plugins are set in kpay.toml (not the environment): the
owner sets up manual transfer and switches a plugin off and on from the admin (gunicorn
reloads), and a learner finds My learning, in English and Chinese, on a desktop and a phone."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, browser_pages
from tests.live import serve

SCREENSHOTS = "screenshots"


@pytest.fixture(scope="module")
def own_site(tmp_path_factory, worker_id):
    """A site of its own: every built-in plugin on through kpay.toml, gunicorn reloadable."""
    instance = tmp_path_factory.mktemp("e2e-owner")
    with serve(instance, f"kpay_e2e_owner_{worker_id}", gunicorn_pid_file=str(instance / "gunicorn.pid")) as running:
        yield running


@pytest.fixture
def visit(browser, own_site):
    """``visit(viewport=None)``: a page in a fresh browser context on ``own_site``."""
    with browser_pages(browser, own_site.url) as open_page:
        yield lambda viewport=None: open_page(viewport=viewport or {"width": 1280, "height": 800})


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "kpay-demo-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def shoot(page, tmp_path_factory, name: str) -> None:
    folder = tmp_path_factory.getbasetemp() / SCREENSHOTS
    folder.mkdir(exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def qr_png(tmp_path) -> str:
    path = tmp_path / "qr.png"
    Image.new("RGB", (120, 120), (0, 0, 0)).save(path, "PNG")
    return str(path)


def test_owner_sets_up_manual_transfer_and_switches_a_plugin_off_and_on(own_site, visit, tmp_path, tmp_path_factory):
    page = visit()
    log_in(page, "owner@example.com")
    page.goto("/admin/")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Payments").click()
    page.get_by_role("link", name="Set up pay_manual").click()
    page.get_by_label("Instructions").fill("Transfer the amount and give the transfer's reference.")
    page.get_by_label("Account details").fill("Bank: China Merchants Bank\nAccount: 6225 0000 1111")
    page.get_by_label("Qr image").set_input_files(qr_png(tmp_path))
    page.get_by_role("button", name="Save settings").click()
    page.get_by_text("Saved.").first.wait_for()
    page.get_by_alt_text("Current picture").wait_for()  # visible once the new picture has loaded
    shoot(page, tmp_path_factory, "admin-payment-settings-1280")
    page.goto("/admin/payments")
    # pay_manual's own card: pay_sandbox, which needs no setting, is offered all along.
    manual = page.locator("main li.card", has=page.get_by_role("heading", name="pay_manual", exact=True))
    assert "offered at checkout" in manual.inner_text()

    page.goto("/admin/plugins")
    page.get_by_role("button", name="Switch pay_sandbox off").click()
    page.get_by_text("pay_sandbox is switched off.").wait_for()
    expect(page.locator("#kpay-alerts")).to_contain_text("workers are reloading", use_inner_text=True)
    _wait_until(page, lambda: page.request.get("/pay_sandbox/").status == 404 and
                "Switch pay_sandbox on" in page.request.get("/admin/plugins").text())
    page.goto("/admin/plugins")
    shoot(page, tmp_path_factory, "admin-plugins-1280")
    page.get_by_role("button", name="Switch pay_sandbox on").click()
    page.get_by_text("pay_sandbox is switched on.").wait_for()
    _wait_until(page, lambda: "Switch pay_sandbox off" in page.request.get("/admin/plugins").text())
    assert "enabled" in (own_site.instance / "kpay.toml").read_text()
    assert "# KPay site configuration" in (own_site.instance / "kpay.toml").read_text()


def test_learner_sees_my_learning_in_english_and_chinese_and_on_a_phone(visit, tmp_path_factory):
    page = visit()
    log_in(page, "member@example.com")
    page.locator("header").get_by_role("link", name="My learning").click()
    page.get_by_role("heading", name="My learning", level=1).wait_for()
    courses = page.locator("#continue-learning")
    courses.wait_for()
    assert courses.locator("progress").count() >= 1
    assert courses.get_by_role("link", name="Continue").count() >= 1
    page.locator("#forums-mine").wait_for()
    page.locator("#held-products").wait_for()
    shoot(page, tmp_path_factory, "my-learning-en-1280")

    page.select_option("#site-locale", "zh_CN")
    page.locator("footer").get_by_role("button").click()
    page.get_by_role("heading", name="我的学习", level=1).wait_for()
    page.locator("#continue-learning").get_by_text("继续学习").wait_for()
    page.locator("#forums-mine").get_by_text("我的圈子").wait_for()
    shoot(page, tmp_path_factory, "my-learning-zh-1280")

    phone = visit(viewport=PHONE)
    log_in(phone, "member@example.com")
    phone.goto("/me/learning")
    phone.locator("#continue-learning").wait_for()
    phone.locator("#forums-mine").wait_for()
    phone.wait_for_load_state("networkidle")  # every lazy part in, before measuring the page
    shoot(phone, tmp_path_factory, "my-learning-360")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The member is shared with the other walks on this site: back to English.
    page.select_option("#site-locale", "en")
    page.locator("footer").get_by_role("button").click()
    page.get_by_role("heading", name="My learning", level=1).wait_for()


def _wait_until(page, condition, attempts: int = 150, settled: int = 8) -> None:
    """Wait until ``condition`` holds ``settled`` times in a row: gunicorn's HUP replaces its
    workers one by one, so one answer from a new worker does not mean the old one has gone.
    A request the reload cuts off (a kept-alive connection to a worker that stops) counts as
    not yet."""
    in_a_row = 0
    for _ in range(attempts):
        try:
            held = condition()
        except PlaywrightError:
            held = False
        in_a_row = in_a_row + 1 if held else 0
        if in_a_row == settled:
            return
        page.wait_for_timeout(200)
    raise AssertionError("the site did not reload in time")
