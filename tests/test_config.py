"""Configuration is data: kpay.toml, KPAY_* variables, and one clear line for a bad key."""

from __future__ import annotations

import pytest

from kpay.app import create_app
from kpay.config import ConfigError


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An empty instance folder, and an environment without KPAY_* settings."""
    for name in ("KPAY_SITE_NAME", "KPAY_MAIL_PORT", "KPAY_PLUGINS_ENABLED", "KPAY_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "instance"
    folder.mkdir()
    return folder


def start(instance, **overrides):
    """An app on ``instance`` with a throw-away SQLite database."""
    return create_app({"instance_path": str(instance), "database_url": "sqlite://", **overrides})


def test_first_run_writes_commented_defaults_and_a_stable_secret_key(instance):
    app = start(instance)
    written = (instance / "kpay.toml").read_text()
    assert '# site_name = "KPay Community"' in written
    assert "# [mail]\n# SMTP host; empty writes e-mails to instance/outbox/.\n# server = \"\"" in written
    assert "[plugins]" in written and "enabled = [" in written
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600
    assert len(app.secret_key) == 64
    (instance / "kpay.toml").write_text('site_name = "Renamed"\n')
    again = start(instance)
    assert again.secret_key == app.secret_key
    assert again.config["KPAY"]["site_name"] == "Renamed"
    assert (instance / "kpay.toml").read_text() == 'site_name = "Renamed"\n'  # never rewritten


def test_environment_overrides_the_file(instance, monkeypatch):
    (instance / "kpay.toml").write_text(
        'site_name = "From the file"\n[mail]\nport = 25\n[plugins]\nenabled = []\n'
        '[plugins.hello]\ngreeting = "Hi"\n'
    )
    monkeypatch.setenv("KPAY_SITE_NAME", "From the environment")
    monkeypatch.setenv("KPAY_MAIL_PORT", "2525")
    monkeypatch.setenv("KPAY_PLUGINS_ENABLED", "hello, ")
    monkeypatch.setenv("KPAY_PLUGINS_HELLO_GREETING", "Ni hao")
    settings = start(instance).config["KPAY"]
    assert settings["site_name"] == "From the environment"
    assert settings["mail"]["port"] == 2525
    assert settings["mail"]["use_tls"] is True
    assert settings["plugins"]["enabled"] == ["hello"]
    assert settings["plugins"]["hello"] == {"greeting": "Ni hao", "points": 1}


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("colour = 'red'", "colour: unknown setting (known here: accent_color, backup, brand_color, commerce, compress,"),
        ("[mail]\nprot = 25", "mail.prot: unknown setting (known here: password, port, sender,"),
        ("[mail]\nport = 'abc'", "mail.port: expected an integer, got 'abc'"),
        ("[mail]\nuse_tls = 'yes'", "mail.use_tls: expected true or false, got 'yes'"),
        ("default_locale = 'fr'", "default_locale: expected one of 'en', 'zh_CN', got 'fr'"),
        ("timezone = 'Mars/Olympus'", "timezone: expected an IANA time zone such as 'Asia/Shanghai', got 'Mars/Olympus'"),
        ("mail = 3", "mail: expected a table, got 3"),
        ("[plugins]\nenabled = 'hello'", "plugins.enabled: expected a list of strings, got 'hello'"),
        ("site_name = ", "kpay.toml: not valid TOML: "),
        ("permissions = 3", "permissions: expected a table, got 3"),
        ("[permissions]\n'audit.view' = 'admin'", "permissions.audit.view: expected a list of roles, got 'admin'"),
        ("[permissions]\n'audit.peek' = ['admin']", "permissions.audit.peek: unknown permission (known: admin.access,"),
        ("[permissions]\n'audit.view' = ['boss']", "permissions.audit.view: unknown role 'boss' (roles: owner, admin,"),
    ],
)
def test_bad_setting_stops_start_up_naming_the_key(instance, toml, message):
    (instance / "kpay.toml").write_text(toml + "\n")
    with pytest.raises(ConfigError) as error:
        start(instance)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_environment_variable_is_named(instance, monkeypatch):
    monkeypatch.setenv("KPAY_MAIL_PORT", "abc")
    with pytest.raises(ConfigError, match="^KPAY_MAIL_PORT: expected an integer, got 'abc'$"):
        start(instance)


def test_unknown_plugin_stops_start_up_saying_where_it_looked(instance):
    with pytest.raises(ConfigError) as error:
        start(instance, plugins={"enabled": ["helo"]})
    message = str(error.value)
    assert message.startswith("plugins.enabled: plugin 'helo' not found (looked in ")
    assert "plugins/ and the 'kpay.plugins' entry-point group" in message


def test_unknown_key_in_an_enabled_plugins_table_is_refused(instance):
    (instance / "kpay.toml").write_text("[plugins.hello]\ncolour = 'red'\n")
    with pytest.raises(ConfigError, match=r"^plugins\.hello\.colour: unknown setting \(known here: greeting, points\)$"):
        start(instance, plugins={"enabled": ["hello"]})


def test_wrong_type_in_an_enabled_plugins_table_is_refused(instance):
    (instance / "kpay.toml").write_text("[plugins.hello]\ngreeting = 3\n")
    with pytest.raises(ConfigError, match=r"^plugins\.hello\.greeting: expected a string, got 3$"):
        start(instance, plugins={"enabled": ["hello"]})


@pytest.mark.parametrize("toml, message", [
    ("points = 0", "plugins.hello.points: expected at least 1, got 0"),
    ("points = 101", "plugins.hello.points: expected at most 100, got 101"),
    ("greeting = '  '", "plugins.hello.greeting: expected some words, got '  '"),
])
def test_a_plugin_setting_out_of_its_range_or_refused_by_its_check_stops_start_up(instance, toml, message):
    (instance / "kpay.toml").write_text(f"[plugins.hello]\n{toml}\n")
    with pytest.raises(ConfigError) as error:
        start(instance, plugins={"enabled": ["hello"]})
    assert str(error.value) == message


def test_a_new_sites_file_lists_the_settings_of_every_installed_plugin_enabled_or_not(instance):
    start(instance, plugins={"enabled": []})
    written = (instance / "kpay.toml").read_text()
    assert "# [plugins.hello]\n# How the plugin greets members.\n# greeting = \"Hello\"" in written
    assert "# [plugins.courses]" in written


def test_table_of_a_disabled_plugin_is_kept(instance):
    (instance / "kpay.toml").write_text("[plugins.hello]\ncolour = 'red'\n")
    app = start(instance, plugins={"enabled": []})
    assert app.config["KPAY"]["plugins"]["hello"] == {"colour": "red"}


def test_production_refuses_a_weak_secret_key(instance, monkeypatch):
    monkeypatch.setenv("KPAY_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="^secret_key: production needs at least 32"):
        start(instance, env="production")


def test_permissions_table_sets_the_roles_that_hold_a_permission(instance):
    (instance / "kpay.toml").write_text("[permissions]\n'audit.view' = ['owner']\n'jobs.view' = ['owner', 'moderator']\n")
    app = start(instance)
    table = app.extensions["kpay"].permissions
    assert table["audit.view"].roles == ("owner",)
    assert table["jobs.view"].roles == ("owner", "moderator")
    assert table["admin.access"].roles == ("owner", "admin")
