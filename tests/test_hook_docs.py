"""Meta-tests: every hook is documented in docs/hooks.md and exercised by a test_hook_<name>."""

from __future__ import annotations

import re
from pathlib import Path

from kpay import hookdocs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = {name: signature for name, signature, _, _ in hookdocs.hooks()}


def test_docs_hooks_md_is_generated_from_hookspecs():
    current = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    assert current == hookdocs.render(), (
        "docs/hooks.md is stale: run `python -m kpay.hookdocs > docs/hooks.md`"
    )


def test_every_hook_is_documented_with_its_exact_signature():
    text = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    missing = [name for name, signature in HOOKS.items() if f"## `{name}{signature}`" not in text]
    assert missing == []


def test_every_hook_says_when_it_is_called_and_what_it_returns():
    vague = [
        name for name, _, _, doc in hookdocs.hooks()
        if "Called:" not in doc or "Returns:" not in doc or not name.startswith("kpay_")
    ]
    assert vague == []


def test_every_hook_has_a_test():
    tested = set()
    for folder in ("tests", "plugins", "examples"):
        for path in (ROOT / folder).rglob("test_*.py"):
            tested |= set(re.findall(r"^def (test_hook_\w+)\(", path.read_text(encoding="utf-8"), re.M))
    missing = sorted(f"test_hook_{name}" for name in HOOKS if f"test_hook_{name}" not in tested)
    assert missing == [], f"hooks without a test: {', '.join(missing)}"
