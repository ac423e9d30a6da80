"""Site configuration: defaults, ``instance/kpay.toml`` and ``KPAY_*`` environment overrides.

Every key has a default and a type (the type of its default). ``load`` validates the core keys,
``validate_plugin_settings`` the ``[plugins.<name>]`` tables once the plugins are known, and
``kpay.permissions`` the ``[permissions]`` table (roles per permission). A bad key stops
start-up with a ``ConfigError`` naming it.
"""

from __future__ import annotations

import copy
import os
import re
import secrets
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomlkit

from kpay.types import Setting

CONFIG_FILE = "kpay.toml"
SECRETS_FILE = "secrets.toml"  # written by the admin (Stripe's keys), mode 0600
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
SECRET_FILE = "secret_key"
LOCALES = ("en", "zh_CN")
BUILTIN_FOLDER = Path(__file__).resolve().parent.parent / "plugins"


def default_plugins() -> list[str]:
    """Names of the built-in plugins in ``plugins/``: all enabled in a new site."""
    return sorted(p.name for p in BUILTIN_FOLDER.iterdir() if (p / "__init__.py").exists())


CORE_SETTINGS: dict[str, Any] = {
    "site_name": Setting("KPay Community", "The name shown in the header, titles and e-mails."),
    "logo": Setting("", "File name of the site's logo in the instance folder (uploaded in the admin)."),
    "brand_color": Setting("", "Colour of the header and buttons, like #0b6e4f; empty: the theme's."),
    "accent_color": Setting("", "Colour of links and highlights, like #b54708; empty: the theme's."),
    "site_url": Setting(
        "", "Public address (https://community.example): links in e-mails sent by the worker."
    ),
    "env": Setting(
        "development", "production refuses a weak secret key and sends cookies only over https.",
        choices=("development", "production"),
    ),
    "https": Setting(
        False, "The site is served over https (directly or behind a proxy): cookies only travel "
        "over https. Production always sends them so.",
    ),
    "require_email_confirmation": Setting(
        False, "New members must confirm their e-mail address before confirmed-only actions.",
    ),
    "database_url": Setting("", "SQLAlchemy URL; empty means SQLite at instance/kpay.db."),
    "redis_url": Setting("", "redis://host:port/db; empty means embedded mode (jobs run in-process)."),
    "queue_name": Setting("kpay", "Name of the rq queue (and prefix of its Redis keys)."),
    "default_locale": Setting("en", "Language when neither the member nor the browser says.", choices=LOCALES),
    "timezone": Setting("UTC", "IANA time zone for dates shown to visitors."),
    "time_machine_file": Setting("", "Tests only: a file holding seconds to add to the site's clock (site_now, "
                                     "today); empty or missing: the real time."),
    "max_request_mb": Setting(16, "Largest request body accepted, in MiB (larger ones get 413)."),
    "max_avatar_mb": Setting(2, "Largest avatar picture a member may upload, in MiB."),
    "max_cover_mb": Setting(4, "Largest cover picture of a circle or product that may be uploaded, in MiB."),
    "trusted_proxies": Setting(0, "How many reverse proxies (nginx) stand in front of KPay."),
    "compress": Setting(True, "Compress responses over 1 KB (brotli or gzip); false when a proxy compresses them."),
    "gunicorn_pid_file": Setting("", "When set, `kpay plugins enable|disable` sends gunicorn HUP."),
    "mail": {
        "server": Setting("", "SMTP host; empty writes e-mails to instance/outbox/."),
        "port": Setting(587, "SMTP port."),
        "username": Setting("", "SMTP user name."),
        "password": Setting("", "SMTP password."),
        "use_tls": Setting(True, "STARTTLS before logging in."),
        "sender": Setting("KPay <noreply@localhost>", "From address of every e-mail."),
    },
    "commerce": {
        "currency": Setting("CNY", "ISO 4217 code of the currency products are priced in."),
        "platform_fee_percent": Setting(10, "The organization's share of every sale, in percent."),
        "creator_fees": Setting(
            [], "Per-creator fee percent instead of platform_fee_percent: [\"creator@example.com=5\"]."
        ),
        "order_minutes": Setting(30, "Minutes an unpaid order keeps its coupon before it expires."),
        "renewal_reminder_days": Setting(7, "Days before a membership ends that the member is reminded; 0: never."),
        "renewal_coupon_percent": Setting(0, "Percent off in a renewal reminder's own coupon; 0: no coupon."),
    },
    "backup": {
        "folder": Setting("", "Folder the daily backup is written to; empty: no scheduled backups."),
        "at": Setting("03:00", "Time of the daily backup, HH:MM in the site's time zone."),
        "keep_daily": Setting(7, "Newest archive of each of this many last days is kept."),
        "keep_weekly": Setting(4, "Newest archive of each of this many last weeks is kept."),
        "keep_monthly": Setting(6, "Newest archive of each of this many last months is kept."),
        "passphrase_file": Setting("", "File whose first line encrypts the scheduled backups; empty: not encrypted."),
    },
    "storage": {
        "backend": Setting("local", "Where uploads live: local (a folder) or s3 (an S3-compatible bucket).",
                           choices=("local", "s3")),
        "local_folder": Setting("", "Folder of the local backend; empty means instance/uploads."),
        "s3_bucket": Setting("", "Bucket of the s3 backend (required with backend = \"s3\")."),
        "s3_prefix": Setting("", "Key prefix inside the bucket, for a bucket shared with other sites."),
        "s3_endpoint_url": Setting("", "Endpoint of a non-AWS store (https://minio.example:9000); empty: AWS."),
        "s3_region": Setting("", "Region of the bucket; empty: boto3's default."),
        "s3_access_key_id": Setting("", "Access key; empty: boto3's usual sources (environment, role)."),
        "s3_secret_access_key": Setting("", "Secret key; empty: boto3's usual sources."),
        "url_seconds": Setting(300, "How long a presigned or signed media URL stays valid, in seconds."),
        "grace_hours": Setting(24, "How long a file no row points at is kept before the sweep deletes it."),
    },
    "plugins": {
        "enabled": Setting(
            default_plugins(), "Plugins to run: built-in names from plugins/ or entry points."
        ),
    },
}

# Environment variables that start with KPAY_ but are not settings.
RESERVED_ENV = {"KPAY_INSTANCE_PATH", "KPAY_TRACE_HOOKS", "KPAY_SECRET_KEY"}


class ConfigError(Exception):
    """A configuration value is missing, unknown, of the wrong type or out of its range.

    Its text is one line naming the key (``plugins.checkin.points: expected at least 1, got
    0``); ``kpay`` commands print it as ``kpay: configuration error: ...`` and exit 2. A plugin
    may raise it from ``kpay_init_app`` for a check that needs more than one setting.
    """


class SettingNeeded(Exception):
    """Work that cannot be done until the owner sets ``setting`` (a job fails with it)."""

    def __init__(self, setting: str, reason: str):
        super().__init__(f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


def instance_path() -> Path:
    """The instance folder: ``KPAY_INSTANCE_PATH`` or ``instance/`` beside the code."""
    default = Path(__file__).resolve().parent.parent / "instance"
    return Path(os.environ.get("KPAY_INSTANCE_PATH", default)).resolve()


def load(path: Path, overrides: dict | None = None) -> dict:
    """The validated core configuration: file, then environment, then ``overrides``.

    A missing ``kpay.toml`` means every default (``create_app`` writes it on first run). The
    ``plugins`` table keeps each ``[plugins.<name>]`` table as found;
    ``validate_plugin_settings`` checks those of enabled plugins once the plugins are known.
    """
    raw = _read_toml(path / CONFIG_FILE)
    _merge(raw, _read_toml(path / SECRETS_FILE))
    _merge(raw, _from_environment(CORE_SETTINGS))
    _merge(raw, copy.deepcopy(overrides or {}))
    plugins = raw.get("plugins", {})
    if not isinstance(plugins, dict):
        raise ConfigError(f"plugins: expected a table, got {plugins!r}")
    tables = {key: value for key, value in plugins.items() if isinstance(value, dict)}
    permissions = _permission_roles(raw.pop("permissions", {}))
    core = {**raw, "plugins": {k: v for k, v in plugins.items() if k not in tables}}
    config = validate(core, CORE_SETTINGS)
    check_core(config)
    config["plugins"].update(tables)
    config["permissions"] = permissions
    return config


def _permission_roles(table: Any) -> dict[str, list[str]]:
    """The ``[permissions]`` table (permission name to the roles that hold it), its shape
    checked; ``kpay.permissions`` checks the names and roles once the plugins are known."""
    if not isinstance(table, dict):
        raise ConfigError(f"permissions: expected a table, got {table!r}")
    for name, roles in table.items():
        if not (isinstance(roles, list) and all(isinstance(role, str) for role in roles)):
            raise ConfigError(f"permissions.{name}: expected a list of roles, got {roles!r}")
    return table


def _read_toml(file: Path) -> dict:
    """The tables of a TOML file ({} when there is none); a ``ConfigError`` when it is broken."""
    try:
        return tomllib.loads(file.read_text(encoding="utf-8")) if file.exists() else {}
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML: {error}") from None


def check_core(config: dict) -> None:
    """Ranges and formats of the core settings that their types alone do not catch."""
    if config["timezone"] not in zoneinfo.available_timezones():
        raise ConfigError(
            f"timezone: expected an IANA time zone such as 'Asia/Shanghai', got {config['timezone']!r}"
        )
    site_url = urlsplit(config["site_url"])
    if config["site_url"] and (site_url.scheme not in ("http", "https") or not site_url.netloc):
        raise ConfigError(f"site_url: expected an address such as 'https://community.example', got {config['site_url']!r}")
    for key in ("brand_color", "accent_color"):
        if config[key] and not COLOR.fullmatch(config[key]):
            raise ConfigError(f"{key}: expected a colour such as '#0b6e4f', got {config[key]!r}")
    _check_commerce(config["commerce"])
    _check_backup(config["backup"])
    _check_storage(config["storage"])


def _check_backup(backup: dict) -> None:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", backup["at"]):
        raise ConfigError(f"backup.at: expected a time such as '03:00', got {backup['at']!r}")
    for key in ("keep_daily", "keep_weekly", "keep_monthly"):
        if backup[key] < 0:
            raise ConfigError(f"backup.{key}: expected 0 or more, got {backup[key]}")


def _check_commerce(commerce: dict) -> None:
    """Ranges and formats the types alone do not catch."""
    if not (len(commerce["currency"]) == 3 and commerce["currency"].isalpha() and commerce["currency"].isupper()):
        raise ConfigError(f"commerce.currency: expected a three-letter ISO 4217 code such as 'CNY', got {commerce['currency']!r}")
    for key in ("platform_fee_percent", "renewal_coupon_percent"):
        if not 0 <= commerce[key] <= 100:
            raise ConfigError(f"commerce.{key}: expected a percent from 0 to 100, got {commerce[key]!r}")
    for key in ("order_minutes", "renewal_reminder_days"):
        if commerce[key] < 0 or (key == "order_minutes" and commerce[key] == 0):
            raise ConfigError(f"commerce.{key}: expected a positive number, got {commerce[key]!r}")
    for item in commerce["creator_fees"]:
        email, sep, percent = item.rpartition("=")
        if not sep or "@" not in email or not percent.isdigit() or int(percent) > 100:
            raise ConfigError(
                f"commerce.creator_fees: expected entries like 'creator@example.com=5', got {item!r}"
            )


def _check_storage(storage: dict) -> None:
    if storage["backend"] == "s3" and not storage["s3_bucket"]:
        raise ConfigError("storage.s3_bucket: required when storage.backend is 's3'")
    for key in ("url_seconds", "grace_hours"):
        if storage[key] <= 0:
            raise ConfigError(f"storage.{key}: expected a positive number, got {storage[key]!r}")


def validate(raw: dict, schema: dict, prefix: str = "") -> dict:
    """Values of ``raw`` checked against ``schema``, with defaults for missing keys."""
    unknown = sorted(set(raw) - set(schema))
    if unknown:
        known = ", ".join(sorted(schema)) or "none"
        raise ConfigError(f"{prefix}{unknown[0]}: unknown setting (known here: {known})")
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
    elif expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        what = "a number"
    else:
        ok = isinstance(value, expected)
        what = "a string" if expected is str else expected.__name__
    if not ok:
        raise ConfigError(f"{name}: expected {what}, got {value!r}")
    if setting.choices is not None and value not in setting.choices:
        allowed = ", ".join(map(repr, setting.choices))
        raise ConfigError(f"{name}: expected one of {allowed}, got {value!r}")
    if setting.min is not None and value < setting.min:
        raise ConfigError(f"{name}: expected at least {setting.min}, got {value!r}")
    if setting.max is not None and value > setting.max:
        raise ConfigError(f"{name}: expected at most {setting.max}, got {value!r}")
    problem = setting.validate(value) if setting.validate else None
    if problem:
        raise ConfigError(f"{name}: {problem}, got {value!r}")
    return value


def validate_plugin_settings(config: dict, name: str, declared: dict) -> None:
    """Check ``[plugins.<name>]`` and its ``KPAY_PLUGINS_<NAME>_*`` variables, in place.

    ``declared`` maps setting names to ``Setting`` or to plain defaults; a key it does not
    name is refused.
    """
    schema = {key: s if isinstance(s, Setting) else Setting(s) for key, s in declared.items()}
    raw = dict(config["plugins"].get(name, {}))
    raw.update(_from_environment(schema, f"plugins.{name}."))
    config["plugins"][name] = validate(raw, schema, f"plugins.{name}.")


def protect_instance(path: Path) -> None:
    """Make the instance folder private: ``path`` itself 0700, and everything this process
    creates from now on (the SQLite database, e-mails in the outbox, exports, uploads) 0600
    or 0700 folders, by setting the process's umask to 077. KPay writes nowhere else."""
    os.umask(0o077)
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def secret_key(path: Path, env: str) -> str:
    """The session signing key: ``KPAY_SECRET_KEY``, else ``instance/secret_key`` (made once)."""
    key = os.environ.get("KPAY_SECRET_KEY", "")
    if not key:
        file = path / SECRET_FILE
        try:
            # O_EXCL: of several workers starting at once, one writes the key, all read it.
            fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32))
        key = file.read_text(encoding="utf-8").strip()
    if env == "production" and len(key) < 32:
        raise ConfigError("secret_key: production needs at least 32 random characters")
    return key


def write_default_file(file: Path, plugin_settings: dict[str, dict] | None = None) -> None:
    """Write ``kpay.toml`` with every setting commented out at its default.

    ``plugin_settings`` (plugin name to declared settings) adds a commented
    ``[plugins.<name>]`` table for each plugin.
    """
    doc = tomlkit.document()
    doc.add(tomlkit.comment("KPay site configuration. Uncomment a line to change it."))
    doc.add(tomlkit.comment("Environment variables override it: KPAY_SITE_NAME, KPAY_MAIL_PORT, ..."))
    doc.add(tomlkit.nl())
    _comment_table(doc, {k: v for k, v in CORE_SETTINGS.items() if k != "plugins"}, "")
    enabled = CORE_SETTINGS["plugins"]["enabled"]
    plugins = tomlkit.table()
    plugins.add(tomlkit.comment(enabled.help))
    plugins.add("enabled", enabled.default)
    plugins.add(tomlkit.comment("Settings of a plugin go in a table of its own: [plugins.<name>]"))
    doc.add("plugins", plugins)
    for name, declared in sorted((plugin_settings or {}).items()):
        doc.add(tomlkit.nl())
        doc.add(tomlkit.comment(f"[plugins.{name}]"))
        _comment_table(doc, declared, f"plugins.{name}.")
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _comment_table(doc, schema: dict, prefix: str) -> None:
    for key, spec in schema.items():
        if isinstance(spec, dict):
            doc.add(tomlkit.nl())
            doc.add(tomlkit.comment(f"[{prefix}{key}]"))
            _comment_table(doc, spec, prefix + key + ".")
            continue
        spec = spec if isinstance(spec, Setting) else Setting(spec)
        if spec.help:
            doc.add(tomlkit.comment(spec.help))
        doc.add(tomlkit.comment(f"{key} = {tomlkit.item(spec.default).as_string()}"))


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
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise ConfigError(f"{name}: expected {what}, got {text!r}") from None
    return text


def _merge(base: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
