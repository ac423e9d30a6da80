"""Browser tests: a real KPay under gunicorn, driven through Playwright by Debian's Chromium.

Each test process serves its own site (embedded mode: jobs run in the web process, e-mails land
in ``instance/outbox/``) on a fresh database: SQLite, or PostgreSQL when
``KPAY_TEST_DATABASE_URL`` is set. The demo community is loaded, and the example plugin
``hello`` is enabled for its htmx form. Every test gets a new browser context (its own cookies)
and fails if a page broke the Content-Security-Policy or raised a script error.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "kpay-demo-2026"
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt install chromium)"))


@dataclass
class Site:
    """The running site: its address, instance folder and environment (for ``kpay`` commands)."""

    url: str
    instance: Path
    env: dict

    def kpay(self, *args: str) -> str:
        """Run a ``kpay`` command against this site; its output."""
        done = subprocess.run(
            [str(BIN / "kpay"), *args], env=self.env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        return done.stdout

    def add_member(self, email: str, name: str, password: str = DEMO_PASSWORD, role: str = "member") -> None:
        """A confirmed member made with ``kpay users create``."""
        self.kpay("users", "create", "--email", email, "--name", name, "--role", role, "--password", password)

    def emails(self) -> list[email.message.EmailMessage]:
        """Every e-mail sent so far, oldest first."""
        folder = self.instance / "outbox"
        files = sorted(folder.glob("*.eml")) if folder.exists() else []
        return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]

    def wait_for_email(self, to: str, subject_part: str, timeout: float = 10.0) -> email.message.EmailMessage:
        """The newest e-mail to ``to`` whose subject contains ``subject_part``, waiting for the job."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.emails() if m["To"] == to and subject_part in m["Subject"]]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                sent = [(m["To"], m["Subject"]) for m in self.emails()]
                raise AssertionError(f"no e-mail to {to} about {subject_part!r}; sent: {sent}")
            time.sleep(0.1)


def link_in(message: email.message.EmailMessage, path_part: str) -> str:
    """The first link in the e-mail's text whose address contains ``path_part``."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S*" + re.escape(path_part) + r"\S*", text)
    assert match, f"no link with {path_part!r} in:\n{text}"
    return match.group(0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the site stopped at start-up with code {process.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        time.sleep(0.2)
    raise RuntimeError(f"the site did not answer at {url} within {timeout} s")


@contextlib.contextmanager
def _database(folder: Path, worker_id: str):
    if TEST_DATABASE_URL:
        with fresh_postgres_database(f"kpay_e2e_{worker_id}") as url:
            yield url
    else:
        yield f"sqlite:///{folder / 'kpay.db'}"


@pytest.fixture(scope="session")
def site(tmp_path_factory, worker_id):
    """A KPay site with the demo community, served by gunicorn on a free port."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    with _database(instance, worker_id) as database_url:
        env = {
            **os.environ,
            "KPAY_INSTANCE_PATH": str(instance),
            "KPAY_DATABASE_URL": database_url,
            "KPAY_REDIS_URL": "",
            "KPAY_PLUGINS_ENABLED": "hello",
            "KPAY_REQUIRE_EMAIL_CONFIRMATION": "true",
        }
        port = _free_port()
        env["KPAY_SITE_URL"] = f"http://127.0.0.1:{port}"
        site = Site(f"http://127.0.0.1:{port}", instance, env)
        site.kpay("db", "upgrade")
        site.kpay("demo")
        log = open(instance / "gunicorn.log", "wb")  # noqa: SIM115 (open while the server runs)
        # One worker: the in-memory rate limits then count every request, as on a real site.
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(site.url, server)
            yield site
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()


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


@pytest.fixture
def new_page(browser, site):
    """Open pages in fresh browser contexts: ``new_page(javascript=True, viewport=None)``."""
    contexts = []
    problems = Problems()

    def factory(javascript: bool = True, viewport: dict | None = None):
        context = browser.new_context(
            base_url=site.url, java_script_enabled=javascript, viewport=viewport or {"width": 1280, "height": 800},
            accept_downloads=True, locale="en-GB",
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
