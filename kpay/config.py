"""Site configuration: defaults, ``instance/kpay.toml`` and ``KPAY_*`` environment overrides.

Every key has a default and a type (the type of its default). ``load`` validates the core keys,
``validate_plugin_settings`` the ``[plugins.<name>]`` tables once the plugins are known. A bad
key stops start-up with a ``ConfigError`` naming it.
"""

from __future__ import annotations

import copy
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

import tomlkit

from kpay.types import Setting

CONFIG_FILE = "kpay.toml"
SECRET_FILE = "secret_key"
LOCALES = ("en", "zh_CN")

CORE_SETTINGS: dict[str, Any] = {
    "site_name": Setting("KPay Community", "The name shown in the header, titles and e-mails."),
    "env": Setting(
        "development", "production refuses a weak secret key and sends cookies only over https.",
        choices=("development", "production"),
    ),
    "database_url": Setting("", "SQLAlchemy URL; empty means SQLite at instance/kpay.db."),
    "redis_url": Setting("", "redis://host:port/db; empty means embedded mode (jobs run in-process)."),
    "queue_name": Setting("kpay", "Name of the rq queue (and prefix of its Redis keys)."),
    "default_locale": Setting("en", "Language when neither the member nor the browser says.", choices=LOCALES),
    "timezone": Setting("UTC", "IANA time zone for dates shown to visitors."),
    "max_request_mb": Setting(16, "Largest request body accepted, in MiB (larger ones get 413)."),
    "trusted_proxies": Setting(0, "How many reverse proxies (nginx) stand in front of KPay."),
    "gunicorn_pid_file": Setting("", "When set, `kpay plugins enable|disable` sends gunicorn HUP."),
    "mail": {
        "server": Setting("", "SMTP host; empty writes e-mails to instance/outbox/."),
        "port": Setting(587, "SMTP port."),
        "username": Setting("", "SMTP user name."),
        "password": Setting("", "SMTP password."),
        "use_tls": Setting(True, "STARTTLS before logging in."),
        "sender": Setting("KPay <noreply@localhost>", "From address of every e-mail."),
    },
    "plugins": {
        "enabled": Setting([], "Plugins to run: built-in names from plugins/ or entry points."),
    },
}

# Environment variables that start with KPAY_ but are not settings.
RESERVED_ENV = {"KPAY_INSTANCE_PATH", "KPAY_TRACE_HOOKS", "KPAY_SECRET_KEY"}


class ConfigError(Exception):
    """A configuration value is missing, unknown or of the wrong type."""


def instance_path() -> Path:
    """The instance folder: ``KPAY_INSTANCE_PATH`` or ``instance/`` beside the code."""
    default = Path(__file__).resolve().parent.parent / "instance"
    return Path(os.environ.get("KPAY_INSTANCE_PATH", default)).resolve()


def load(path: Path, overrides: dict | None = None) -> dict:
    """The validated site configuration: file, then environment, then ``overrides``.

    Writes ``kpay.toml`` with commented defaults when the folder has none. The ``plugins``
    table keeps each plugin's raw table; ``validate_plugin_settings`` checks them later.
    """
    path.mkdir(parents=True, exist_ok=True)
    file = path / CONFIG_FILE
    if not file.exists():
        write_default_file(file)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML: {error}") from None
    _merge(raw, _from_environment(CORE_SETTINGS))
    _merge(raw, copy.deepcopy(overrides or {}))
    plugin_tables = {
        key: value for key, value in raw.get("plugins", {}).items() if isinstance(value, dict)
    }
    core_raw = dict(raw)
    core_raw["plugins"] = {k: v for k, v in raw.get("plugins", {}).items() if k not in plugin_tables}
    config = validate(core_raw, CORE_SETTINGS)
    config["plugins"].update(plugin_tables)
    return config


def validate(raw: dict, schema: dict, prefix: str = "") -> dict:
    """Values of ``raw`` checked against ``schema``, with defaults for missing keys."""
    unknown = sorted(set(raw) - set(schema))
    if unknown:
        key = prefix + unknown[0]
        raise ConfigError(f"{key}: unknown setting (known here: {', '.join(sorted(schema))})")
    result = {}
    for key, spec in schema.items():
        name = prefix + key
        if isinstance(spec, dict):
            value = raw.get(key, {})
            if not isinstance(value, dict):
                raise ConfigError(f"{name}: expected a table, got {value!r}")
            result[key] = validate(value, spec, name + ".")
        else:
            result[key] = check_value(name, raw.get(key, copy.deepcopy(spec.default)), spec)
    return result


def check_value(name: str, value: Any, setting: Setting) -> Any:
    """``value`` if it fits ``setting``, else a ``ConfigError`` naming ``name``."""
    expected = type(setting.default)
    if expected is list:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        what = "a list of strings"
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        what = "an integer"
    elif expected is bool:
        ok = isinstance(value, bool)
        what = "true or false"
    else:
        ok = isinstance(value, expected)
        what = {str: "a string", float: "a number"}.get(expected, expected.__name__)
    if not ok:
        raise ConfigError(f"{name}: expected {what}, got {value!r}")
    if setting.choices is not None and value not in setting.choices:
        allowed = ", ".join(map(repr, setting.choices))
        raise ConfigError(f"{name}: expected one of {allowed}, got {value!r}")
    return value


def validate_plugin_settings(config: dict, name: str, declared: dict) -> None:
    """Check ``[plugins.<name>]`` against the plugin's declared settings, in place."""
    schema = {key: s if isinstance(s, Setting) else Setting(s) for key, s in declared.items()}
    raw = config["plugins"].get(name, {})
    raw.update(_from_environment(schema, f"plugins.{name}."))
    config["plugins"][name] = validate(raw, schema, f"plugins.{name}.")


def secret_key(path: Path, env: str) -> str:
    """The session signing key: ``KPAY_SECRET_KEY``, else ``instance/secret_key`` (made once)."""
    key = os.environ.get("KPAY_SECRET_KEY", "")
    file = path / SECRET_FILE
    if not key:
        if not file.exists():
            file.write_text(secrets.token_hex(32), encoding="utf-8")
            file.chmod(0o600)
        key = file.read_text(encoding="utf-8").strip()
    if env == "production" and len(key) < 32:
        raise ConfigError("secret_key: production needs at least 32 random characters")
    return key


def write_default_file(file: Path, enabled: list[str] | None = None) -> None:
    """Write ``kpay.toml`` with every core setting commented out at its default."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment("KPay site configuration. Uncomment a line to change it."))
    doc.add(tomlkit.comment("Environment variables override it: KPAY_SITE_NAME, KPAY_MAIL_PORT, ..."))
    doc.add(tomlkit.nl())
    _comment_table(doc, CORE_SETTINGS, "")
    plugins = tomlkit.table()
    plugins.add(tomlkit.comment(CORE_SETTINGS["plugins"]["enabled"].help))
    plugins.add("enabled", enabled if enabled is not None else default_plugins())
    plugins.add(tomlkit.comment("Settings of a plugin go in a table of its own: [plugins.<name>]"))
    doc.add("plugins", plugins)
    file.write_text(tomlkit.dumps(doc), encoding="utf-8")


def default_plugins() -> list[str]:
    """Names of the built-in plugins, all enabled in a new site."""
    folder = Path(__file__).resolve().parent.parent / "plugins"
    return sorted(p.name for p in folder.iterdir() if (p / "__init__.py").exists())


def _comment_table(doc, schema: dict, prefix: str) -> None:
    for key, spec in schema.items():
        if key == "plugins":
            continue
        if isinstance(spec, dict):
            doc.add(tomlkit.nl())
            doc.add(tomlkit.comment(f"[{prefix}{key}]"))
            _comment_table(doc, spec, prefix + key + ".")
            continue
        value = tomlkit.item(spec.default).as_string()
        doc.add(tomlkit.comment(f"{spec.help}"))
        doc.add(tomlkit.comment(f"{key} = {value}"))
    doc.add(tomlkit.nl())


def _from_environment(schema: dict, prefix: str = "") -> dict:
    """Nested values for the schema's keys found as ``KPAY_<KEY_PATH>`` variables."""
    found: dict = {}
    for key, spec in schema.items():
        if isinstance(spec, dict):
            nested = _from_environment(spec, f"{prefix}{key}.")
            if nested:
                found[key] = nested
            continue
        name = "KPAY_" + (prefix + key).replace(".", "_").upper()
        if name in os.environ and name not in RESERVED_ENV:
            found[key] = _parse_env(name, os.environ[name], spec)
    return found


def _parse_env(name: str, text: str, setting: Setting) -> Any:
    kind = type(setting.default)
    if kind is list:
        return [item.strip() for item in text.split(",") if item.strip()]
    if kind is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{name}: expected true or false, got {text!r}")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name}: expected an integer, got {text!r}") from None
    return text


def _merge(base: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
