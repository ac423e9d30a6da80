"""Finding, loading, checking, tracing and listing plugins; switching kpay-hello off and on."""

from __future__ import annotations

import logging
import sys
import types
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from kpay import clock, hookimpl, plugins
from kpay.config import ConfigError
from kpay.extensions import db
from kpay.types import NavItem
from tests.conftest import csrf_token


def module_plugin(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def test_misspelled_hookimpl_stops_start_up(make_app):
    typo = module_plugin("typo", kpay_nav_item=lambda user: [])
    with pytest.raises(ConfigError) as error:
        make_app(plugins=[typo])
    assert str(error.value) == (
        "plugin 'typo': kpay_nav_item is not a KPay hook (did you mean kpay_nav_items?)"
    )


def test_hookimpl_asking_for_an_unknown_argument_stops_start_up(make_app):
    greedy = module_plugin("greedy", kpay_nav_items=lambda user, cart: [])
    with pytest.raises(ConfigError, match=r"^plugin 'greedy': .*\{'cart'\}") as error:
        make_app(plugins=[greedy])
    assert "\n" not in str(error.value)


def test_plugins_register_in_sorted_order(monkeypatch):
    for name in ("zebra_plugin", "alpha_plugin"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setattr(plugins, "available", lambda: {
        "zebra": plugins.Installed("zebra_plugin", "test", "1"),
        "alpha": plugins.Installed("alpha_plugin", "test", "1"),
    })
    pm = plugins.make_manager(["zebra", "alpha", "zebra"])
    names = [name for name, _ in pm.list_name_plugin()]
    assert names == [*plugins.CORE_PLUGINS, "alpha", "zebra"]


def test_each_app_has_its_own_plugin_manager(make_app):
    nav = module_plugin("extra", kpay_nav_items=lambda user: [NavItem("Extra", "home.index")])
    with_extra, plain = make_app(plugins=[nav]), make_app()
    assert with_extra.extensions["kpay"].pm is not plain.extensions["kpay"].pm
    assert b">Extra</a>" in with_extra.test_client().get("/").data
    assert b">Extra</a>" not in plain.test_client().get("/").data


def test_trace_hooks_logs_every_hook_call(make_app, monkeypatch, caplog):
    monkeypatch.setenv("KPAY_TRACE_HOOKS", "1")
    client = make_app().test_client()
    with caplog.at_level(logging.INFO, logger="kpay.hooks"):
        client.get("/")
    traced = [r.getMessage() for r in caplog.records if r.name == "kpay.hooks"]
    assert any("kpay_nav_items" in message for message in traced)
    assert any("kpay_widgets" in message and "home.sidebar" in message for message in traced)


def test_hooks_are_not_traced_by_default(make_app, caplog):
    client = make_app().test_client()
    with caplog.at_level(logging.INFO, logger="kpay.hooks"):
        client.get("/")
    assert not [r for r in caplog.records if r.name == "kpay.hooks"]


def test_describe_shows_version_source_state_and_hooks():
    hello = {info.name: info for info in plugins.describe(["hello"])}["hello"]
    assert (hello.version, hello.source, hello.enabled) == ("0.1.0", "entry point (kpay-hello)", True)
    assert {"kpay_blueprints", "kpay_nav_items", "kpay_widgets", "kpay_cli"} <= set(hello.hooks)
    assert not {info.name: info for info in plugins.describe([])}["hello"].enabled


def test_describe_lists_a_plugin_that_fails_to_import(monkeypatch):
    monkeypatch.setattr(plugins, "available", lambda: {
        "broken": plugins.Installed("kpay_no_such_module", "entry point (broken)", "2.0"),
    })
    [info] = plugins.describe(["broken"])
    assert info.name == "broken" and info.hooks == ()
    assert "import failed: No module named 'kpay_no_such_module'" in info.source


def test_admin_console_lists_plugins(make_app, make_user):
    app = make_app({"plugins": {"enabled": ["hello"]}})
    owner = make_user(role="owner")
    client = app.test_client()
    client.post("/login", data={
        "email": owner.email, "password": "correct horse battery",
        "csrf_token": csrf_token(client.get("/login")),
    })
    page = client.get("/admin/plugins").get_data(as_text=True)
    row = page.split("<strong>hello</strong>", 1)[1].split("</tr>", 1)[0]
    assert "0.1.0" in row and "entry point (kpay-hello)" in row and "enabled" in row
    assert "kpay_nav_items" in row and "kpay_widgets" in row


def test_disabling_hello_hides_it_and_keeps_its_data_until_enabled_again(make_app, monkeypatch):
    from kpay_hello import greetings
    from kpay_hello.models import Greeting

    noon = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(greetings, "utcnow", lambda: noon)

    def visit(enabled: bool, now: datetime = noon):
        app = make_app({"plugins": {"enabled": ["hello"] if enabled else []}})
        client = app.test_client()
        home = client.get("/").get_data(as_text=True)
        with app.app_context():
            swept = clock.tick(now)
            kept = db.session.scalars(sa.select(Greeting.text).order_by(Greeting.id)).all()
        return {
            "page": client.get("/hello/").status_code,
            "partial": client.get("/hello/latest", headers={"HX-Request": "true"}).status_code,
            "nav": 'href="/hello/">Hello</a>' in home,
            "sidebar": 'class="hello-widget"' in home,
            "lazy": 'hx-get="/hello/latest"' in home,
            "sweep": "hello.greet_the_day" in swept,
            "greetings": len(kept),
        }

    assert visit(True) == {
        "page": 200, "partial": 200, "nav": True, "sidebar": True, "lazy": True,
        "sweep": True, "greetings": 1,
    }
    assert visit(False) == {
        "page": 404, "partial": 404, "nav": False, "sidebar": False, "lazy": False,
        "sweep": False, "greetings": 1,
    }
    assert visit(True, noon + timedelta(hours=1)) == {
        "page": 200, "partial": 200, "nav": True, "sidebar": True, "lazy": True,
        "sweep": True, "greetings": 1,  # the sweep is idempotent: one greeting per hour
    }


def test_a_plugin_module_holding_current_app_lists_its_hooks_outside_an_app_context():
    import types

    from flask import current_app

    from kpay import hookimpl
    from kpay.plugins import implemented_hooks

    module = types.ModuleType("uses_current_app")
    module.current_app = current_app
    module.kpay_nav_items = hookimpl(lambda user: [])
    assert implemented_hooks(module) == ("kpay_nav_items",)
