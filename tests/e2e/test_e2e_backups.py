"""In a real browser: the owner starts a backup from the admin and downloads the archive."""

from __future__ import annotations

import re
import tarfile

from tests.e2e.conftest import browser_pages


def test_owner_starts_a_backup_and_downloads_it(browser, site, tmp_path):
    with browser_pages(browser, site.url) as open_page:
        page = open_page(viewport={"width": 1280, "height": 800})
        page.goto("/login")
        page.fill("input[name=email]", "owner@example.com")
        page.fill("input[name=password]", "kpay-demo-2026")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.goto("/admin/")
        page.get_by_role("navigation", name="Admin").get_by_role("link", name="Backups").click()
        page.get_by_role("button", name="Start a backup now").click()
        page.get_by_text("Backup written: kpay-backup-").wait_for(timeout=60_000)  # written in the request
        link = page.get_by_role("link", name=re.compile(r"kpay-backup-.*\.tar\.gz"))
        # Fetched with the page's cookies and its X-Forwarded-For address: a browser download
        # leaves the context's extra headers out, so the session would look moved and stale.
        response = page.context.request.get(link.first.get_attribute("href"))
        assert response.ok
        assert "attachment" in response.headers["content-disposition"]
        saved = tmp_path / link.first.inner_text().strip()
        saved.write_bytes(response.body())
    with tarfile.open(saved) as tar:
        assert "manifest.json" in tar.getnames()
        assert any(name.startswith("database/") for name in tar.getnames())
    assert (site.instance / "backups" / saved.name).read_bytes() == saved.read_bytes()
