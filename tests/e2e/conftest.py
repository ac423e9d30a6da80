"""Browser tests: a real KPay under gunicorn, driven through Playwright by Debian's Chromium.

Each test process serves its own site (``kpay.testing.live.serve``) with the demo community and
the example plugin ``hello`` for its htmx form. ``page`` and ``new_page`` come from kpay.testing:
every test gets a new browser context (its own cookies) and fails if a page broke the
Content-Security-Policy or raised a script error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kpay.testing.fixtures import CHROMIUM, browser_pages  # noqa: F401 (the tests import them from here)
from kpay.testing.live import DEMO_PASSWORD, link_in, serve  # noqa: F401

PHONE = {"width": 360, "height": 740}
# expect() retries for 5 s unless told otherwise: as long as an action may wait (browser_pages'
# default), since CI runs both passes on 2 busy cores.
expect.set_options(timeout=20_000)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt install chromium)"))


@pytest.fixture(scope="session")
def site(tmp_path_factory, worker_id):
    """A KPay site with the demo community, the ``hello`` plugin and the sandbox and manual
    payment providers, asking new members to confirm their address, backing up into
    ``instance/backups``. It trusts one proxy, so each browser context comes from an address of
    its own (``X-Forwarded-For``), as visitors do. A test module may define a ``site`` of its own."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    (instance / "backups").mkdir()
    with serve(
        instance, f"kpay_e2e_{worker_id}", backup_folder=str(instance / "backups"),
        plugins_enabled="hello,pay_sandbox,pay_manual", require_email_confirmation="true",
        plugins_pay_manual_instructions="Transfer the amount to our bank account and give its reference.",
        plugins_pay_manual_account_details="KPay Demo Ltd at China Merchants Bank 6225 0000 0000 0000",
        trusted_proxies="1",
    ) as running:
        yield running


@pytest.fixture(scope="session")
def community(tmp_path_factory, worker_id):
    """The demo community with every built-in plugin a visitor meets (analytics, courses, circles,
    gamification, the shop with both payment providers, live lectures, recommendations, referrals, search) and
    ``hello``: one site per test process, shared by the page-wide checks (accessibility, HTML,
    screenshots) so its data is made once. A test moves the site's clock by writing seconds to
    ``instance/time-machine``."""
    instance = tmp_path_factory.mktemp("e2e-community")
    with serve(
        instance, f"kpay_e2e_community_{worker_id}", time_machine_file=str(instance / "time-machine"),
        plugins_enabled="analytics,courses,forums,gamification,hello,lectures,pay_sandbox,pay_manual,recommendations,"
                        "referrals,search",
        plugins_referrals_inviter_coupon_percent="10", plugins_referrals_invitee_coupon_percent="20",
        trusted_proxies="1",
        plugins_pay_manual_instructions="Transfer the amount to our bank account and give its reference.",
        plugins_pay_manual_account_details="KPay Demo Ltd at China Merchants Bank 6225 0000 0000 0000",
    ) as running:
        yield running


@pytest.fixture
def live_site(site):
    """The site kpay.testing's ``page`` and ``new_page`` open: this module's ``site``."""
    return site


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
    """Log out with the header's button, and wait for the logged-out page (it may be the same
    address: a read or a ``goto`` too early would meet the old page or cut the log-out short)."""
    form = page.locator("header form[action='/logout']")
    form.locator("button").click()
    form.wait_for(state="detached")
    page.wait_for_load_state()


def settled(page) -> None:
    """Wait until htmx has no request in flight and has settled its last swap. New content is
    on the page at once, but htmx makes it live (boosts its links and forms, starts its
    triggers) only when the swap settles, a moment later: a click or a keystroke before that
    misses htmx and goes to the browser."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )

