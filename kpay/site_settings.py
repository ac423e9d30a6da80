"""Changing the site's configuration from the admin and the ``kpay`` command.

Settings are written into ``instance/kpay.toml`` with tomlkit, so the owner's comments and
layout stay; secrets (Stripe's keys) go to ``instance/secrets.toml``, readable by the site's
user only (mode 0600), which ``kpay.config.load`` reads after ``kpay.toml``. A change is
validated as at start-up (the files are put back when an app cannot be built from them),
then applied: gunicorn gets HUP when ``gunicorn_pid_file``
is set, ``kpay run`` rebuilds its app, and values read per request (site name, colours,
payment instructions) are also applied to the running app at once.
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
from pathlib import Path
from typing import Any

import tomlkit
from flask import Flask

from kpay import config as site_config
from kpay.config import ConfigError
from kpay.plugins import declared_settings

SECRETS_FILE = site_config.SECRETS_FILE


def config_file(instance: Path) -> Path:
    """``instance/kpay.toml``, written with every default commented out when missing."""
    file = instance / site_config.CONFIG_FILE
    if not file.exists():
        site_config.write_default_file(file)
    return file


def write(instance: Path, changes: dict[str, Any], secret: bool = False) -> None:
    """Set dotted keys (``site_name``, ``plugins.pay_manual.instructions``) in kpay.toml, or
    in secrets.toml (mode 0600) when ``secret``; other lines and comments stay as they were."""
    file = instance / SECRETS_FILE if secret else config_file(instance)
    doc = tomlkit.parse(file.read_text(encoding="utf-8")) if file.exists() else tomlkit.document()
    for dotted, value in changes.items():
        *tables, key = dotted.split(".")
        table = doc
        for name in tables:
            if name not in table:
                table[name] = tomlkit.table()
            table = table[name]
        table[key] = value
    text = tomlkit.dumps(doc)
    if secret:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        file.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def kept_if_valid(instance: Path):
    """Around writes to the files: afterwards build an app from them, as the next start (or
    reload) will, running every plugin's own checks; on a ``ConfigError`` put the files back
    as they were and raise it, so a refused value never stops the site from starting."""
    from kpay.app import create_app

    files = [instance / site_config.CONFIG_FILE, instance / SECRETS_FILE]
    before = {file: file.read_bytes() if file.exists() else None for file in files}
    yield
    try:
        create_app({"instance_path": str(instance)})
    except ConfigError:
        for file, data in before.items():
            if data is None:
                file.unlink(missing_ok=True)
            else:
                file.write_bytes(data)
        raise


def set_plugin_enabled(instance: Path, name: str, enabled: bool) -> bool:
    """Add ``name`` to ``[plugins] enabled`` in kpay.toml or take it out; False when it
    already was so (nothing written)."""
    file = config_file(instance)
    doc = tomlkit.parse(file.read_text(encoding="utf-8"))
    table = doc.setdefault("plugins", tomlkit.table())
    names = [str(n) for n in table.get("enabled", site_config.default_plugins())]
    if (name in names) == enabled:
        return False
    table["enabled"] = sorted({*names, name}) if enabled else [n for n in names if n != name]
    file.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return True


def overridden(dotted: str) -> str | None:
    """The environment variable that overrides the file for ``dotted``, if one is set."""
    name = "KPAY_" + dotted.replace(".", "_").upper()
    return name if name in os.environ else None


def checked(app: Flask, changes: dict[str, Any]) -> dict:
    """The app's configuration with ``changes`` (dotted keys) made, validated as at start-up;
    raises ``ConfigError`` naming the bad key. The running app is not changed."""
    candidate = copy.deepcopy(app.config["KPAY"])
    for dotted, value in changes.items():
        *tables, key = dotted.split(".")
        table = candidate
        for name in tables:
            table = table.setdefault(name, {})
        table[key] = value
    plugin_tables = {k: v for k, v in candidate["plugins"].items() if isinstance(v, dict)}
    permissions = candidate.pop("permissions", {})
    core = {**candidate, "plugins": {"enabled": candidate["plugins"]["enabled"]}}
    validated = site_config.validate(core, site_config.CORE_SETTINGS)
    site_config.check_core(validated)
    validated["plugins"].update(plugin_tables)
    validated["permissions"] = permissions
    declared = declared_settings(app.extensions["kpay"].pm)
    for name in plugin_tables:
        if name in declared:
            site_config.validate_plugin_settings(validated, name, declared[name])
    return validated


def reload(app: Flask) -> str:
    """Apply a written change everywhere; says how: ``"gunicorn"`` (HUP sent), ``"server"``
    (``kpay run`` rebuilds its app before the next request) or ``"restart"`` (the owner must)."""
    pid_file = app.config["KPAY"]["gunicorn_pid_file"]
    if pid_file and reload_gunicorn(pid_file) is not None:
        return "gunicorn"
    rebuild = app.extensions.get("kpay_reload")
    if rebuild is not None:
        rebuild()
        return "server"
    return "restart"


def reload_gunicorn(pid_file: str) -> int | None:
    """Send gunicorn HUP; its pid, or None when ``pid_file`` names no running process."""
    try:
        pid = int(Path(pid_file).read_text(encoding="utf-8").strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        return None
    return pid
