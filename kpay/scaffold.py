"""``kpay plugins new NAME``: a pip-installable plugin package that passes its own tests at once.

The files come from ``kpay/plugin_template/``: each ``*.tmpl`` file is written without that
suffix, with ``$name`` (the plugin's one name), ``$package`` (``kpay_<name>``), ``$dist``
(``kpay-<name>``), ``$title``, ``$core_head`` and ``$date`` filled in; ``NAME`` in a path becomes
the name and a leading ``dot-`` a dot. The catalogs are compiled, so the package speaks
Simplified Chinese as soon as it is installed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from string import Template

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kpay.plugin_revisions import core_head

TEMPLATE = Path(__file__).resolve().parent / "plugin_template"
NAME = re.compile(r"[a-z][a-z0-9_]{1,30}")


class ScaffoldError(Exception):
    """The plugin cannot be written (a bad name, a folder that is not empty)."""


def write_plugin(name: str, folder: Path) -> list[Path]:
    """Write plugin ``name``'s package into ``folder`` (new or empty); returns the files written."""
    if not NAME.fullmatch(name):
        raise ScaffoldError(
            f"{name!r}: a plugin name is 2 to 31 lowercase letters, digits or _, starting with a letter"
        )
    if folder.exists() and any(folder.iterdir()):
        raise ScaffoldError(f"{folder} is not empty")
    values = {
        "name": name, "package": f"kpay_{name}", "dist": f"kpay-{name.replace('_', '-')}",
        "title": name.replace("_", " ").title(), "core_head": core_head(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    written = []
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        parts = [re.sub(r"^dot-", ".", part.replace("NAME", name))
                 for part in source.relative_to(TEMPLATE).with_suffix("").parts]
        target = folder.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(source.read_text(encoding="utf-8")).safe_substitute(values), encoding="utf-8")
        written.append(target)
    for po in [path for path in written if path.suffix == ".po"]:
        with po.open("rb") as text, po.with_suffix(".mo").open("wb") as compiled:
            write_mo(compiled, read_po(text))
        written.append(po.with_suffix(".mo"))
    return written
