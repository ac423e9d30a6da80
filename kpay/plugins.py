"""The pluggy plugin manager: finding plugins, registering the enabled ones, listing them."""

from __future__ import annotations

import difflib
import importlib
import logging
import re
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import cast

import pluggy
from flask import current_app

from kpay import __version__, hookspecs
from kpay.config import BUILTIN_FOLDER, ConfigError

ENTRY_POINT_GROUP = "kpay.plugins"
BUILTIN_PACKAGE = "plugins"
CORE_PLUGINS = (
    "kpay.admin.plugin", "kpay.auth.plugin", "kpay.backup.scheduled", "kpay.clock", "kpay.commerce.plugin",
    "kpay.home.plugin", "kpay.notifications.plugin", "kpay.privacy.plugin", "kpay.profiles.plugin",
    "kpay.storage.plugin",
)

log = logging.getLogger("kpay.hooks")


@dataclass(frozen=True)
class PluginInfo:
    """What ``kpay plugins list`` and the admin console show of one plugin."""

    name: str
    version: str
    source: str
    enabled: bool
    hooks: tuple[str, ...]


@dataclass(frozen=True)
class Installed:
    """Where an installed plugin comes from: its import target, source and version."""

    target: str
    source: str
    version: str


def available() -> dict[str, Installed]:
    """Installed plugins by name: built-ins from ``plugins/``, then the entry points.

    A built-in wins over an entry point of the same name.
    """
    found = {
        folder.name: Installed(f"{BUILTIN_PACKAGE}.{folder.name}", "built-in", __version__)
        for folder in sorted(BUILTIN_FOLDER.iterdir())
        if (folder / "__init__.py").exists()
    }
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in found:
            dist = ep.dist
            source = f"entry point ({dist.name})" if dist else "entry point"
            found[ep.name] = Installed(ep.value, source, dist.version if dist else "?")
    return found


def load_module(name: str, found: dict[str, Installed] | None = None) -> ModuleType:
    """The plugin called ``name``; a ``ConfigError`` saying where it was looked for if none."""
    found = available() if found is None else found
    if name not in found:
        raise ConfigError(
            f"plugins.enabled: plugin {name!r} not found "
            f"(looked in {BUILTIN_FOLDER}/ and the {ENTRY_POINT_GROUP!r} entry-point group)"
        )
    module_name, _, attr = found[name].target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def make_manager(enabled: list[str], extra: list | None = None, trace: bool = False):
    """A plugin manager with the core's own plugins and the ``enabled`` ones registered.

    Names are registered in sorted order; ``extra`` plugin objects (tests, embedding) after
    them. ``kpay_addhooks`` runs for each as it registers. A hook implementation that
    matches no hook (a misspelled name) or a hookspec's arguments stops here with a
    ``ConfigError`` naming the plugin. ``trace`` logs every hook call to ``kpay.hooks``.
    """
    pm = pluggy.PluginManager("kpay")
    pm.add_hookspecs(hookspecs)
    pm.hook.kpay_addhooks.call_historic(kwargs={"pm": pm})
    found = available()
    named = [(name, importlib.import_module(name)) for name in CORE_PLUGINS]
    named += [(name, load_module(name, found)) for name in sorted(set(enabled))]
    try:
        for name, plugin in named + [(None, plugin) for plugin in extra or ()]:
            pm.register(plugin, name=name)
        pm.check_pending()
    except pluggy.PluginValidationError as error:
        raise ConfigError(_explain(pm, error)) from None
    if trace:
        pm.trace.root.setwriter(lambda text: log.info(text.rstrip()))
        pm.enable_tracing()
    return pm


def _explain(pm, error: pluggy.PluginValidationError) -> str:
    """One line for a plugin pluggy refused; suggests the hook a misspelled name meant."""
    text = " ".join(str(error).split())
    unknown = re.match(r"unknown hook '(\w+)'", text)
    if unknown:
        hooks = [name for name, caller in vars(pm.hook).items() if caller.spec is not None]
        close = difflib.get_close_matches(unknown[1], hooks, n=1)
        text = f"{unknown[1]} is not a KPay hook" + (f" (did you mean {close[0]}?)" if close else "")
    name = pm.get_name(error.plugin) or pm.get_canonical_name(error.plugin)
    return f"plugin {name!r}: {text}"


def implemented_hooks(plugin) -> tuple[str, ...]:
    """Names of the hooks ``plugin`` implements, sorted."""
    return tuple(sorted(name for name in dir(plugin) if _is_hookimpl(plugin, name)))


def _is_hookimpl(plugin, name: str) -> bool:
    # A module may hold a proxy such as ``current_app``, which raises outside an app context.
    try:
        return hasattr(getattr(plugin, name), "kpay_impl")
    except RuntimeError:
        return False


def describe(enabled: list[str]) -> list[PluginInfo]:
    """Every installed plugin with its version, source, state and hooks, by name.

    A plugin that fails to import is listed with the error in its source.
    """
    infos = []
    found = available()
    for name, installed in sorted(found.items()):
        try:
            module = load_module(name, found)
        except Exception as error:  # a broken third-party plugin must not hide the others
            source = f"{installed.source}; import failed: {error}"
            infos.append(PluginInfo(name, installed.version, source, name in enabled, ()))
            continue
        version = getattr(module, "__version__", installed.version)
        hooks = implemented_hooks(module)
        infos.append(PluginInfo(name, version, installed.source, name in enabled, hooks))
    return infos


def migration_dirs(pm) -> list[str]:
    """The Alembic version folders the plugins registered in ``pm`` give."""
    return [str(folder) for group in pm.hook.kpay_migration_dirs() for folder in group or ()]


def hook():
    """The current app's hook relay: ``hook().kpay_nav_items(user=...)``."""
    return current_app.extensions["kpay"].pm.hook


def declared_settings(pm: pluggy.PluginManager) -> dict[str, dict]:
    """The settings each registered plugin declares (``kpay_config_defaults``), by name."""
    return {
        impl.plugin_name: cast(dict, impl.function() or {})
        for impl in pm.hook.kpay_config_defaults.get_hookimpls()
    }
