"""KPay's pytest fixtures, loaded by pytest itself through kpay's ``pytest11`` entry point.

Every fixture builds real things: a real app on a real database (a SQLite file per test, or,
with ``KPAY_TEST_DATABASE_URL``, a PostgreSQL database per test process emptied after each
test), members made through ``kpay.accounts``, logins through the real form.

- ``make_app(config=None, plugins=None, create_tables=True)``: a new app; ``config`` is
  merged over the test settings (``{"plugins": {"enabled": ["checkin"]}}``), ``plugins`` are
  extra plugin objects. Tables come from the models (``create_all``); check your migrations
  with ``kpay.testing.assert_migrations_match_models``.
- ``app``: ``make_app()`` with the plugins named by the ``kpay_plugins`` ini option enabled.
- ``client``, ``runner``: ``app.test_client()``, ``app.test_cli_runner()``.
- ``make_user(role="member", email=None, name=None)``: a member whose password is
  ``kpay.testing.PASSWORD`` (detached from the session: read its ``id``, ``email``).
- ``member``: one member made by ``make_user()``; ``auth``: ``Auth(client)``, so
  ``auth.login(member.email)`` logs the ``client`` in.
- ``live_site`` (session): a site served by gunicorn on 127.0.0.1 with the demo community and
  the ``kpay_plugins`` enabled (``kpay.testing.live.Site``); ``browser`` (session), ``new_page``
  and ``page``: Playwright with Debian's Chromium, skipped when it is not installed.

Marks: ``postgres`` and ``redis`` skip a test unless ``KPAY_TEST_DATABASE_URL`` /
``KPAY_TEST_REDIS_URL`` is set; ``e2e`` marks browser tests.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from kpay.testing.client import PASSWORD, Auth
from kpay.testing.databases import TEST_DATABASE_URL, TEST_REDIS_URL, fresh_postgres_database

CHROMIUM = "/usr/bin/chromium"
VISITORS = itertools.count(1)


def pytest_addoption(parser):
    parser.addini("kpay_plugins", "plugins the app and live_site fixtures enable", type="args", default=[])


def pytest_configure(config):
    for line in ("e2e: drives a real Chromium through Playwright", "postgres: needs KPAY_TEST_DATABASE_URL",
                 "redis: needs KPAY_TEST_REDIS_URL"):
        config.addinivalue_line("markers", line)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "postgres" in item.keywords and not TEST_DATABASE_URL:
            item.add_marker(pytest.mark.skip(reason="set KPAY_TEST_DATABASE_URL to run"))
        if "redis" in item.keywords and not TEST_REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="set KPAY_TEST_REDIS_URL to run"))


@pytest.fixture(scope="session")
def worker_id(request):
    """The xdist worker name (``master`` without xdist)."""
    return getattr(request.config, "workerinput", {}).get("workerid", "master")


@pytest.fixture(scope="session")
def postgres_url(worker_id):
    """A fresh PostgreSQL database for this test process, or None when not configured."""
    if not TEST_DATABASE_URL:
        yield None
        return
    with fresh_postgres_database(f"kpay_test_{worker_id}") as url:
        yield url


@pytest.fixture(scope="session")
def kpay_plugins(pytestconfig) -> list[str]:
    """The plugins named by the ``kpay_plugins`` ini option (``kpay_plugins = ["checkin"]``)."""
    return list(pytestconfig.getini("kpay_plugins"))


@pytest.fixture
def make_app(tmp_path, postgres_url):
    """Build apps on this test's database: ``make_app(config_overrides, plugins=[...])``."""
    from kpay.app import create_app
    from kpay.commerce.days import refill
    from kpay.extensions import db

    made = []

    def factory(config: dict | None = None, plugins: list | None = None, create_tables=True):
        settings: dict[str, Any] = {
            "instance_path": str(tmp_path / "instance"),
            "database_url": postgres_url or f"sqlite:///{tmp_path / 'kpay.db'}",
            "redis_url": "",
            "queue_name": f"kpay-test-{uuid.uuid4().hex[:10]}",
            "plugins": {"enabled": []},
        }
        for key, value in (config or {}).items():
            if isinstance(value, dict) and isinstance(settings.get(key), dict):
                settings[key] = {**settings[key], **value}
            else:
                settings[key] = value
        app = create_app(settings, plugins=plugins)
        app.config.update(TESTING=True, RATELIMIT_ENABLED=True)
        if create_tables:
            with app.app_context():
                db.create_all()
                refill(db.session.connection(), app.config["KPAY"]["timezone"])  # as migration 0012 does
                db.session.commit()
        made.append(app)
        return app

    yield factory
    for app in made:
        with app.app_context():
            db.session.remove()
            if postgres_url and app.config["SQLALCHEMY_DATABASE_URI"] == postgres_url:
                _empty_tables(db.engine)
            db.engine.dispose()


def _empty_tables(engine) -> None:
    names = [name for name in sa.inspect(engine).get_table_names() if name != "alembic_version"]
    if names:
        quoted = ", ".join(f'"{name}"' for name in names)
        with engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(make_app, kpay_plugins):
    """An app with the ``kpay_plugins`` (none by default) enabled, its tables created."""
    return make_app({"plugins": {"enabled": kpay_plugins}})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a member: ``make_user(role="admin", email=..., name=...)``; password ``PASSWORD``."""
    from kpay.accounts import create_user
    from kpay.extensions import db

    counter = iter(range(1, 10_000))

    def factory(role: str = "member", email: str | None = None, name: str | None = None):
        n = next(counter)
        with app.app_context():
            user = create_user(email or f"user{n}@example.com", name or f"User {n}", PASSWORD, role=role)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return factory


@pytest.fixture
def member(make_user):
    """A member (role ``member``, password ``PASSWORD``), not logged in."""
    return make_user(name="Mia Member")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture(scope="session")
def live_site(tmp_path_factory, worker_id, kpay_plugins):
    """A site served by gunicorn with the demo community and the ``kpay_plugins`` enabled."""
    from kpay.testing.live import serve

    with serve(tmp_path_factory.mktemp("live-instance"), f"kpay_live_{worker_id}",
               plugins_enabled=",".join(kpay_plugins)) as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; the test is skipped when either is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
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
            where = message.location.get("url") or (message.page.url if message.page else "")
            self.items.append(f"CSP at {where}: {message.text}")


@contextlib.contextmanager
def browser_pages(browser, base_url: str):
    """Yield ``open_page(**context_options)``, which opens a page of ``base_url`` in a fresh
    browser context (its own cookies): en-GB, 1280 px wide, downloads on, from an address of
    its own (``X-Forwarded-For``, for a site that trusts one proxy); ``context_options``
    (Playwright's ``new_context`` arguments) override those. On leaving, the contexts close
    and it fails if a page broke the Content-Security-Policy or raised a script error."""
    contexts = []
    problems = Problems()

    def open_page(**options):
        visitor = next(VISITORS)
        defaults = {
            "locale": "en-GB", "viewport": {"width": 1280, "height": 800}, "accept_downloads": True,
            "extra_http_headers": {"X-Forwarded-For": f"10.{visitor // 250}.0.{visitor % 250 + 1}"},
        }
        context = browser.new_context(base_url=base_url, **{**defaults, **options})
        context.set_default_timeout(20_000)  # CI runs both passes on 2 busy cores
        context.on("page", problems.watch)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert problems.items == []


@pytest.fixture
def new_page(browser, live_site):
    """Open pages of ``live_site`` in fresh browser contexts: ``new_page(javascript=True,
    viewport=None)`` (see ``browser_pages``)."""
    with browser_pages(browser, live_site.url) as open_page:
        yield lambda javascript=True, viewport=None: open_page(
            java_script_enabled=javascript, **({"viewport": viewport} if viewport else {}))


@pytest.fixture
def page(new_page):
    """A page in a fresh browser context with JavaScript on."""
    return new_page()
