"""``kpay db revision --plugin NAME``: the next revision of a plugin's own Alembic branch.

A plugin's revisions live in the first folder its ``kpay_migration_dirs`` gives and are named
``<name>_0001``, ``<name>_0002``, ... (file ``<name>_0001_<message>.py``). The first one starts
the branch: ``branch_labels = ("<name>",)`` and ``depends_on`` the core's head, whose tables it
may refer to. Autogenerate compares only the plugin's own tables (``<name>_*``).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from kpay import plugins
from kpay.config import ConfigError
from kpay.extensions import migrate

CORE_VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"


def plugin_folder(name: str) -> Path:
    """The folder of plugin ``name``'s revisions; a ``ConfigError`` if it declares none."""
    module = plugins.load_module(name)
    declare = getattr(module, "kpay_migration_dirs", None)
    folders = list(declare() or ()) if declare else []
    if not folders:
        raise ConfigError(f"plugin {name!r} declares no migration folder (implement kpay_migration_dirs)")
    models = f"{module.__name__}.models"
    if importlib.util.find_spec(models):  # autogenerate compares the models it imports
        importlib.import_module(models)
    return Path(folders[0])


def next_number(folder: Path, name: str) -> int:
    """One more than the highest ``<name>_NNNN`` revision file in ``folder`` (1 in a new one)."""
    numbers = [int(m[1]) for f in folder.glob(f"{name}_*.py") if (m := re.match(rf"{name}_(\d{{4}})", f.name))]
    return max(numbers, default=0) + 1


def core_head() -> str:
    """The newest revision of the core's own line."""
    return ScriptDirectory(str(CORE_VERSIONS.parent), version_locations=[str(CORE_VERSIONS)]).get_current_head()


def revise(name: str, message: str, autogenerate: bool) -> Path:
    """Write plugin ``name``'s next revision; returns its file."""
    folder = plugin_folder(name)
    folder.mkdir(parents=True, exist_ok=True)
    number = next_number(folder, name)
    options = ["autogenerate"] if autogenerate else None
    config = migrate.get_config(x_arg=[f"plugin={name}"], opts=options)
    first = number == 1
    script = command.revision(
        config, message=message, autogenerate=autogenerate,
        head="base" if first else f"{name}@head", branch_label=name if first else None,
        version_path=str(folder), rev_id=f"{name}_{number:04d}",
        depends_on=core_head() if first else None,
    )
    if script is None:
        raise ConfigError(f"plugin {name!r}: autogenerate found no change in its tables; no revision written")
    return Path(script.path)  # type: ignore[union-attr]  # one branch: one Script, never a list
