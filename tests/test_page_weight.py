"""A first visit stays light: the home page with every stylesheet and script it loads weighs
at most 40 KB gzipped, with all the built-in plugins on, for a visitor and a member."""

from __future__ import annotations

import gzip
import re

import pytest

from kpay.config import default_plugins

LIMIT = 40 * 1024


@pytest.fixture
def app(make_app):
    return make_app({"plugins": {"enabled": default_plugins()}})


def first_visit_bytes(client, path: str = "/") -> int:
    """What a browser downloads on its first visit of ``path``, gzipped."""
    page = client.get(path).get_data()
    total = len(gzip.compress(page, 9))
    for asset in set(re.findall(rb'(?:href|src)="(/static/[^"]+|/[a-z_]+/static/[^"]+)"', page)):
        body = client.get(asset.decode()).get_data()
        assert body, asset
        total += len(gzip.compress(body, 9))
    return total


def test_the_first_page_weighs_at_most_40_kb_gzipped(app, client, auth, make_user):
    assert first_visit_bytes(client) <= LIMIT
    auth.login(make_user(name="Mei Lin").email)
    assert first_visit_bytes(client) <= LIMIT
    assert first_visit_bytes(client, "/forums/") <= LIMIT
