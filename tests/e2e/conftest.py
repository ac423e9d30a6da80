"""Browser tests: a real KPay under gunicorn, driven through Playwright by Debian's Chromium.

Each test process serves its own site (``tests.live.serve``) with the demo community and the
example plugin ``hello`` for its htmx form. Every test gets a new browser context (its own cookies)
and fails if a page broke the Content-Security-Policy or raised a script error.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from pathlib import Path

import pytest

from tests.live import DEMO_PASSWORD, link_in, serve  # noqa: F401 (the tests import them from here)

CHROMIUM = "/usr/bin/chromium"
VISITORS = itertools.count(1)
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt install chromium)"))


@pytest.fixture(scope="session")
def site(tmp_path_factory, worker_id):
    """A KPay site with the demo community, the ``hello`` plugin and the sandbox and manual
    payment providers, asking new members to confirm their address. It trusts one proxy, so
    each browser context comes from an address of its own (``X-Forwarded-For``), as visitors do."""
    with serve(
        tmp_path_factory.mktemp("e2e-instance"), f"kpay_e2e_{worker_id}",
        plugins_enabled="hello,pay_sandbox,pay_manual", require_email_confirmation="true",
        plugins_pay_manual_instructions="Transfer the amount to our bank account and give its reference.",
        plugins_pay_manual_account_details="KPay Demo Ltd at China Merchants Bank 6225 0000 0000 0000",
        trusted_proxies="1",
    ) as running:
        yield running


@pytest.fixture(scope="session")
def community(tmp_path_factory, worker_id):
    """The demo community with every built-in plugin a visitor meets (courses, circles, the
    shop with both payment providers) and ``hello``: one site per test process, shared by
    the page-wide checks (accessibility, HTML, screenshots) so its data is made once."""
    with serve(
        tmp_path_factory.mktemp("e2e-community"), f"kpay_e2e_community_{worker_id}",
        plugins_enabled="courses,forums,hello,pay_sandbox,pay_manual", trusted_proxies="1",
        plugins_pay_manual_instructions="Transfer the amount to our bank account and give its reference.",
        plugins_pay_manual_account_details="KPay Demo Ltd at China Merchants Bank 6225 0000 0000 0000",
    ) as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


class Problems:
    """Script errors and Content-Security-Policy violations seen by every page of a context."""

    def __init__(self):
        self.items: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.items.append(f"script error: {error}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.items.append(f"CSP: {message.text}")


@contextlib.contextmanager
def browser_pages(browser, base_url: str):
    """Yield ``open_page(**context_options)``: a page in a browser context of its own on
    ``base_url``; afterwards the contexts close, failing on a CSP violation or script error."""
    contexts, problems = [], Problems()

    def open_page(**options):
        context = browser.new_context(base_url=base_url, **{"locale": "en-GB", **options})
        context.set_default_timeout(10_000)
        context.on("page", problems.watch)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert problems.items == []


@pytest.fixture
def new_page(browser, site):
    """Open pages in fresh browser contexts: ``new_page(javascript=True, viewport=None)``."""
    contexts = []
    problems = Problems()

    def factory(javascript: bool = True, viewport: dict | None = None):
        visitor = next(VISITORS)
        address = f"10.{visitor // 250}.0.{visitor % 250 + 1}"
        context = browser.new_context(
            base_url=site.url, java_script_enabled=javascript, viewport=viewport or {"width": 1280, "height": 800},
            accept_downloads=True, locale="en-GB", extra_http_headers={"X-Forwarded-For": address},
        )
        context.set_default_timeout(10_000)
        context.on("page", problems.watch)
        contexts.append(context)
        page = context.new_page()
        return page

    yield factory
    for context in contexts:
        context.close()
    assert problems.items == []


@pytest.fixture
def page(new_page):
    """A page in a fresh browser context with JavaScript on."""
    return new_page()


def log_in(page, email: str, password: str = DEMO_PASSWORD, remember: bool = False) -> None:
    """Log in through the real form, starting from the header's link."""
    page.goto("/")
    page.get_by_role("link", name="Log in").click()
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    if remember:
        page.check("input[name=remember]")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))


def log_out(page) -> None:
    """Log out with the header's button."""
    page.locator("header form[action='/logout'] button").click()
    page.wait_for_load_state()
