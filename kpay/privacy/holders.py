"""Who holds a member's data: the core, the enabled plugins, and installed plugins that are
switched off but whose tables (``<name>_*``) are still in the database.

A disabled plugin keeps its data (``kpay db upgrade`` keeps its tables current), so exporting
or erasing a member asks it too, through a plugin manager of its own.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from pluggy import HookImpl

from kpay.extensions import db
from kpay.models import User
from kpay.plugins import available, make_manager


class DisabledPluginError(Exception):
    """A disabled plugin holding data could not export or erase it; ``plugin`` names it."""

    def __init__(self, plugin: str, message: str):
        super().__init__(message)
        self.plugin = plugin


def disabled_with_tables() -> list[str]:
    """Installed plugins that are not enabled but have tables in the database."""
    enabled = set(current_app.extensions["kpay"].enabled)
    tables = sa.inspect(db.session.connection()).get_table_names()
    return [name for name in sorted(available()) if name not in enabled
            and any(table.startswith(f"{name}_") for table in tables)]


def ask_every_holder(user: User, action: str) -> dict[str, object]:
    """Every holder's ``kpay_user_data(user=, action=)`` answer by plugin name (None left out).

    Raises ``DisabledPluginError`` naming a disabled plugin that cannot be loaded or fails, so
    that an erase is refused (and rolled back by the caller) rather than left half done.
    """
    arguments = {"user": user, "action": action}
    answers = {}
    for name, impl in _implementations():
        try:
            answer = impl.function(*(arguments[a] for a in impl.argnames))
        except Exception as error:
            if name in current_app.extensions["kpay"].enabled or name not in available():
                raise
            raise DisabledPluginError(name, f"disabled plugin {name!r} could not {action} member {user.id}: "
                                            f"{error}") from error
        if answer is not None:
            answers[name] = answer
    return answers


def _implementations() -> list[tuple[str, HookImpl]]:
    """(plugin name, hookimpl) of ``kpay_user_data``: the app's in pluggy's call order, then
    the disabled holders'."""
    hookimpls = current_app.extensions["kpay"].pm.hook.kpay_user_data.get_hookimpls()
    impls = [(impl.plugin_name, impl) for impl in reversed(hookimpls)]
    for name in disabled_with_tables():
        try:
            pm = make_manager([name])
        except Exception as error:
            raise DisabledPluginError(name, f"disabled plugin {name!r} holds data but cannot be loaded: {error}") from error
        impls += [(impl.plugin_name, impl) for impl in pm.hook.kpay_user_data.get_hookimpls() if impl.plugin_name == name]
    return impls
