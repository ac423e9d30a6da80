"""S7: templates use no string-evaluating htmx features, and htmx is configured for a strict CSP."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# E-mail templates are read by mail clients, not served under the site's CSP: mail clients
# need inline styles, and no script runs there.
TEMPLATES = sorted(
    path
    for path in [*(ROOT / "templates").rglob("*.html"), *(ROOT / "plugins").glob("*/templates/**/*.html")]
    if "mail" not in path.relative_to(ROOT).parts[:-1]
)
# Each of these makes htmx evaluate a string as JavaScript, which a strict CSP forbids.
EVAL_FEATURES = {
    "hx-on attribute": re.compile(r"\bhx-on", re.I),
    "js: prefix": re.compile(r"\bjs:", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "trigger filter": re.compile(r"hx-trigger\s*=\s*[\"'][^\"']*\[", re.I),
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)", re.I),
    "inline style attribute": re.compile(r"\sstyle\s*=", re.I),
}


def test_there_are_templates_to_check():
    assert any(path.name == "base.html" for path in TEMPLATES)


@pytest.mark.parametrize("feature", sorted(EVAL_FEATURES))
def test_no_template_uses(feature):
    pattern = EVAL_FEATURES[feature]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


class MetaReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "name" in attrs:
            self.meta[attrs["name"]] = attrs.get("content", "")


def test_page_configures_htmx_for_strict_csp(client):
    reader = MetaReader()
    reader.feed(client.get("/").get_data(as_text=True))
    htmx_config = json.loads(reader.meta["htmx-config"])
    assert htmx_config["allowEval"] is False
    assert htmx_config["allowScriptTags"] is False
    assert htmx_config["includeIndicatorStyles"] is False
    assert htmx_config["selfRequestsOnly"] is True
    assert htmx_config["historyCacheSize"] == 0
    assert reader.meta["csrf-token"]
