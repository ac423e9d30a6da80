"""Responses over 1 KB go out compressed (brotli when asked, else gzip) unless a proxy does it;
static files have versioned URLs that browsers keep for a year."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_a_page_goes_out_as_brotli_when_the_browser_asks_for_it(client):
    response = client.get("/login", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    page = brotli.decompress(response.data).decode()
    assert "<form" in page and 'name="password"' in page
    assert len(response.data) < len(page.encode()) / 2


def test_a_page_goes_out_gzipped_for_a_browser_without_brotli(client):
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert 'name="password"' in gzip.decompress(response.data).decode()


def test_without_accept_encoding_a_page_is_plain(client):
    response = client.get("/login", headers={"Accept-Encoding": ""})
    assert "Content-Encoding" not in response.headers
    assert 'name="password"' in response.get_data(as_text=True)


def test_a_small_response_is_not_compressed(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip, br"})
    assert len(response.get_data()) < 1024
    assert "Content-Encoding" not in response.headers


def test_a_site_behind_a_compressing_proxy_turns_it_off(make_app):
    client = make_app({"compress": False}).test_client()
    response = client.get("/login", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in response.headers
    assert 'name="password"' in response.get_data(as_text=True)


def static_urls(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*/static/[^"]+)"', page)


def test_static_files_have_versioned_urls_kept_for_a_year(client):
    urls = static_urls(client.get("/login").get_data(as_text=True))
    css = next(url for url in urls if "kpay.css" in url)
    digest = hashlib.sha256((ROOT / "static/css/kpay.css").read_bytes()).hexdigest()[:12]
    assert css == f"/static/css/kpay.css?v={digest}"
    response = client.get(css, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.get_data()) == (ROOT / "static/css/kpay.css").read_bytes()


def test_an_old_version_of_a_static_file_is_not_kept_for_a_year(client):
    response = client.get("/static/css/kpay.css?v=000000000000")
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("plugin, path", [("forums", "/forums/"), ("courses", "/courses/")])
def test_plugin_static_files_are_versioned_too(make_app, plugin, path):
    client = make_app({"plugins": {"enabled": [plugin]}}).test_client()
    urls = [url for url in static_urls(client.get(path).get_data(as_text=True)) if f"/{plugin}/" in url]
    assert urls and all(re.search(r"\?v=[0-9a-f]{12}$", url) for url in urls)
    assert client.get(urls[0]).headers["Cache-Control"] == "public, max-age=31536000, immutable"
