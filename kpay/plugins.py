"""The pluggy plugin manager: finding plugins, registering the enabled ones, listing them."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pluggy
from flask import current_app

from kpay import __version__, hookspecs
from kpay.config import ConfigError

ENTRY_POINT_GROUP = "kpay.plugins"
BUILTIN_PACKAGE = "plugins"
BUILTIN_FOLDER = Path(__file__).resolve().parent.parent / BUILTIN_PACKAGE
CORE_PLUGINS = ("kpay.admin.plugin", "kpay.auth.plugin", "kpay.clock", "kpay.home.plugin")

log = logging.getLogger("kpay.hooks")


@dataclass(frozen=True)
class PluginInfo:
    """What ``kpay plugins list`` and the admin console show of one plugin."""

    name: str
    version: str
    source: str
    enabled: bool
    hooks: tuple[str, ...]


def available() -> dict[str, tuple[str, str, str]]:
    """Installed plugins by name: (import target, where it was found, version)."""
    found = {
        info.name: (f"{BUILTIN_PACKAGE}.{info.name}", "built-in", __version__)
        for info in pkgutil.iter_modules([str(BUILTIN_FOLDER)])
        if info.ispkg
    }
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in found:
            dist = ep.dist
            source = f"entry point ({dist.name})" if dist else "entry point"
            found[ep.name] = (ep.value, source, dist.version if dist else "?")
    return found


def load_module(name: str) -> tuple[ModuleType, str]:
    """The plugin called ``name`` and its source; a ``ConfigError`` when none is installed."""
    found = available()
    if name not in found:
        raise ConfigError(
            f"plugins.enabled: plugin {name!r} not found "
            f"(looked in {BUILTIN_FOLDER}/ and the {ENTRY_POINT_GROUP!r} entry-point group)"
        )
    target, source, _ = found[name]
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return (getattr(module, attr) if attr else module), source


def make_manager(enabled: list[str], extra: list | None = None, trace: bool = False):
    """A plugin manager with the core's own plugins and the ``enabled`` ones registered.

    Names are registered in sorted order; ``extra`` plugin objects (tests, embedding) after
    them. Misspelled hook implementations fail here (``check_pending``).
    """
    pm = pluggy.PluginManager("kpay")
    pm.add_hookspecs(hookspecs)
    for module_name in CORE_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    for name in sorted(set(enabled)):
        module, _ = load_module(name)
        pm.register(module, name=name)
    for plugin in extra or []:
        pm.register(plugin)
    pm.check_pending()
    if trace:
        pm.trace.root.setwriter(log.info)
        pm.enable_tracing()
    return pm


def implemented_hooks(plugin) -> tuple[str, ...]:
    """Names of the hooks ``plugin`` implements, sorted."""
    return tuple(sorted(name for name in dir(plugin) if hasattr(getattr(plugin, name), "kpay_impl")))


def describe(enabled: list[str]) -> list[PluginInfo]:
    """Every installed plugin with its version, source, state and hooks, by name."""
    infos = []
    for name, (_, source, version) in sorted(available().items()):
        module, _ = load_module(name)
        version = getattr(module, "__version__", version)
        infos.append(PluginInfo(name, version, source, name in enabled, implemented_hooks(module)))
    return infos


def hook():
    """The current app's hook relay: ``hook().kpay_nav_items(user=...)``."""
    return current_app.extensions["kpay"].pm.hook
