"""The plugin API (kpay/api.py): plugins import KPay only through it, it is documented in
docs/api.md, and no plugin writes the core's tables behind its transitions."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import pytest

from kpay import api, apidocs

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_ROOTS = [*sorted(p for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").is_file()),
                ROOT / "examples" / "kpay-hello"]
# Tests may also use the test fixtures and look inside the core to check what a user cannot see.
TEST_PARTS = {"tests", "conftest.py"}


def plugin_modules() -> list[Path]:
    """Every Python file of the built-in plugins and the example, tests and migrations aside."""
    return [
        path for root in PLUGIN_ROOTS for path in sorted(root.rglob("*.py"))
        if not TEST_PARTS & set(path.relative_to(root).parts) and "migrations" not in path.parts
        and ".venv" not in path.parts and "build" not in path.parts
    ]


def core_imports(path: Path) -> list[tuple[int, str]]:
    """Each ``kpay`` module that ``path`` imports, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "kpay":
            modules = [f"kpay.{alias.name}" for alias in node.names]  # `from kpay import jobs`
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, module) for module in modules if module == "kpay" or module.startswith("kpay.")]
    return found


def test_plugins_import_kpay_only_through_the_api():
    reaching = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in plugin_modules() for line, module in core_imports(path)
        if module != "kpay.api"
    ]
    assert plugin_modules(), "no plugin files found"
    assert reaching == [], "plugins must import KPay only from kpay.api:\n" + "\n".join(reaching)


def test_the_import_check_sees_a_plugin_reaching_past_the_api(tmp_path):
    module = tmp_path / "views.py"
    module.write_text("from kpay.api import db\nfrom kpay.auth.views import keyed_by_member\nimport kpay.jobs\n"
                      "from kpay import events\n")
    assert core_imports(module) == [(1, "kpay.api"), (2, "kpay.auth.views"), (3, "kpay.jobs"), (4, "kpay.events")]


CORE_MODELS = {name for name in api.__all__ if isinstance(getattr(api, name), type)
               and getattr(getattr(api, name), "__tablename__", None)}
WRITES = {"update", "delete", "insert", "insert_once"}


def core_writes(path: Path) -> list[tuple[int, str]]:
    """Statements in ``path`` that write a core table directly, with their lines:
    ``sa.update(Order)``, ``insert_once(Payment, ...)``, ``order.status = ...`` and the like."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in WRITES and node.args[0].id in CORE_MODELS:
                found.append((node.lineno, f"{called}({node.args[0].id})"))
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id in {"order", "payment", "refund", "entitlement", "product"}:
                    found.append((node.lineno, f"{target.value.id}.{target.attr} ="))
    return found


def test_payment_providers_change_orders_only_through_core_transitions():
    # The stripe webhook records the event it received once (provider_events is a ledger the
    # core reads for reconciliation); every order change goes through kpay.commerce.orders.
    allowed = {"plugins/pay_stripe/webhook.py": {"insert_once(ProviderEvent)"}}
    writes = [
        f"{path.relative_to(ROOT)}:{line} {write}" for path in plugin_modules() for line, write in core_writes(path)
        if write not in allowed.get(str(path.relative_to(ROOT)), set())
    ]
    assert writes == [], "plugins must not write the core's tables:\n" + "\n".join(writes)


def test_the_write_check_sees_a_provider_writing_an_order(tmp_path):
    module = tmp_path / "transfers.py"
    module.write_text(
        "sa.update(Order).where(Order.id == 1).values(status='paid')\n"
        "order.expires_at = later\n"
        "insert_once(Payment, ('provider',), provider='x')\n"
    )
    assert sorted(core_writes(module)) == [(1, "update(Order)"), (2, "order.expires_at ="), (3, "insert_once(Payment)")]


def test_every_imported_name_is_exported_and_every_export_is_in_one_section():
    imported = {
        name for name, value in vars(api).items()
        if not name.startswith("_") and name not in {"SECTIONS", "NOTES", "annotations"}
        and not isinstance(value, types.ModuleType)
    }
    assert sorted(api.__all__) == sorted(imported)
    assert len(api.__all__) == len(set(api.__all__)), "a name is listed in two sections"


@pytest.mark.parametrize("name", api.__all__)
def test_every_api_name_is_documented(name):
    assert apidocs.describe(name).strip(), f"kpay.api.{name} has no docstring and no note in api.NOTES"


def test_docs_api_md_is_generated_from_the_api():
    current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert current == apidocs.render(), "docs/api.md is stale: run `python -m kpay.apidocs > docs/api.md`"
