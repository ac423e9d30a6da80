"""``create_app``: the only place a KPay application is assembled."""

from __future__ import annotations

import inspect
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pluggy
from sqlalchemy.engine import make_url
from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from kpay import config as site_config
from kpay import (  # noqa: F401 (models, postgres, sqlite: mappings and engine events)
    compression, errors, i18n, icons, input_filter, jobs, listing, models, permissions, postgres, render, security, sqlite,
    sharing, static_files, storage, uploads,
)
from kpay.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate
from kpay.plugins import available, declared_settings, make_manager, migration_dirs
from kpay.text import excerpt, pictures, render_markdown

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@dataclass
class KPayState:
    """Per-app KPay state, kept in ``app.extensions["kpay"]``."""

    pm: pluggy.PluginManager
    config: dict
    enabled: list[str]
    migration_dirs: list[str] = field(default_factory=list)
    permissions: dict = field(default_factory=dict)
    declared_permissions: dict = field(default_factory=dict)


class KPayFlask(Flask):
    """Flask that asks whether a view or request hook is a coroutine once per function, not on
    every request (Flask inspects each of the dozen hooks a request runs, every time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._coroutines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # function: is it async?

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            coroutine = self._coroutines.get(func)
        except TypeError:  # not weakly referable
            return super().ensure_sync(func)
        if coroutine is None:
            coroutine = self._coroutines[func] = inspect.iscoroutinefunction(func)
        return super().ensure_sync(func) if coroutine else func


def create_app(config: dict | None = None, plugins: list | None = None) -> Flask:
    """A configured KPay app.

    ``config`` overrides ``instance/kpay.toml`` and the environment (tests pass a database
    URL, say); ``plugins`` are extra plugin objects registered after the enabled ones.
    Raises ``ConfigError`` naming the bad key when the configuration is wrong.
    """
    overrides = dict(config or {})
    instance = Path(overrides.pop("instance_path", None) or site_config.instance_path())
    settings = site_config.load(instance, overrides)
    enabled = sorted(set(settings["plugins"]["enabled"]))
    pm = make_manager(enabled, plugins, trace=os.environ.get("KPAY_TRACE_HOOKS") == "1")
    declared = declared_settings(pm)
    for name in sorted(set(enabled) | set(declared)):
        site_config.validate_plugin_settings(settings, name, declared.get(name, {}))
    site_config.protect_instance(instance)
    if not (instance / site_config.CONFIG_FILE).exists():
        # Every installed plugin's settings, enabled or not, so the owner sees what there is.
        try:
            installed = declared_settings(make_manager(sorted(available())))
        except (ImportError, site_config.ConfigError):  # a broken plugin nobody enabled stops nothing
            installed = {}
        site_config.write_default_file(instance / site_config.CONFIG_FILE, {**installed, **declared})
    app = KPayFlask(
        "kpay",
        instance_path=str(instance),
        root_path=str(ROOT),
        template_folder="templates",
        static_folder="static",
    )
    _configure_flask(app, settings, instance)
    input_filter.init_app(app)
    uploads.init_app(app)  # after the input filter: the upload views' body limit is raised first
    state = KPayState(pm=pm, config=settings, enabled=enabled)
    app.extensions["kpay"] = state

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    limiter.init_app(app)
    if settings["trusted_proxies"]:
        hops = settings["trusted_proxies"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    storage.init_app(app)

    jobs.init_app(app)
    permissions.init_app(app)
    app.jinja_env.globals.update(
        navigation=render.navigation, admin_nav_items=render.admin_nav_items, widgets=render.widgets,
        assets=render.assets, row_url=render.row_url, fixed_url=render.fixed_url, share_card=sharing.share_card,
        can=permissions.can, line_icon=icons.icon, filter_fields=listing.filter_fields,
        layout_part=render.layout_part,
    )
    app.jinja_env.filters.update(markdown=render_markdown, excerpt=excerpt, pictures=pictures)

    for blueprints in pm.hook.kpay_blueprints():
        for blueprint in blueprints or ():
            prefix = None if blueprint.url_prefix is not None else f"/{blueprint.name}"
            app.register_blueprint(blueprint, url_prefix=prefix)
    static_files.init_app(app)
    compression.init_app(app)
    state.migration_dirs = migration_dirs(pm)
    pm.hook.kpay_init_app(app=app)
    return app


@migrate.configure
def _version_locations(alembic_config):
    """Point Alembic at the core's revisions and every installed plugin's branch.

    Disabled plugins' branches are included: the database still records their revisions,
    which Alembic must find, and their tables (kept while disabled) stay current.
    """
    state = current_app.extensions["kpay"]
    installed = migration_dirs(make_manager(sorted(available())))
    folders = dict.fromkeys([str(MIGRATIONS / "versions"), *state.migration_dirs, *installed])
    alembic_config.set_main_option("version_locations", os.pathsep.join(folders))
    return alembic_config


def _configure_flask(app: Flask, settings: dict, instance: Path) -> None:
    """Flask's and the extensions' settings, derived from the site configuration."""
    database_url = settings["database_url"] or f"sqlite:///{instance / 'kpay.db'}"
    production = settings["env"] == "production"
    secure_cookies = production or settings["https"]
    app.config.update(
        SECRET_KEY=site_config.secret_key(instance, settings["env"]),
        KPAY=settings,
        DEBUG=False,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(database_url),
        MAX_CONTENT_LENGTH=settings["max_request_mb"] * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=500_000,
        MAX_FORM_PARTS=1000,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_NAME="remember_token",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_DURATION=60 * 60 * 24 * 30,
        BABEL_DEFAULT_LOCALE=settings["default_locale"],
        BABEL_DEFAULT_TIMEZONE=settings["timezone"],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).resolve().parent / "translations"),
        RATELIMIT_STORAGE_URI=settings["redis_url"] or "memory://",
        RATELIMIT_KEY_PREFIX=settings["queue_name"],
        SEND_FILE_MAX_AGE_DEFAULT=60 * 60 if production else None,  # versioned URLs: a year (static_files)
    )
    use_site_url(app, settings["site_url"])


def use_site_url(app: Flask, url: str) -> None:
    """Make ``url`` the site's address: ``url_for(_external=True)`` works outside a request
    (digests sent by the clock). An empty ``url`` changes nothing."""
    site_url = urlsplit(url)
    if site_url.netloc:
        app.config["KPAY"]["site_url"] = url
        app.config.update(
            SERVER_NAME=site_url.netloc,
            PREFERRED_URL_SCHEME=site_url.scheme or "https",
            APPLICATION_ROOT=site_url.path or "/",
        )


def _engine_options(url: str) -> dict:
    """SQLite waits for a lock; PostgreSQL through psycopg 3 uses ``kpay.postgres``'s cursor (its
    pooled connections are checked there, mostly without a round trip, so no ``pool_pre_ping``);
    another driver pings each connection it takes from the pool."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    if make_url(url).get_driver_name() == "psycopg":
        return {"connect_args": {"cursor_factory": postgres.Cursor}}
    return {"pool_pre_ping": True}
