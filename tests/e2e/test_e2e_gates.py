"""Gates every page passes, as a visitor, a learner, a creator and an admin meet it: axe-core
finds no serious or critical accessibility violation, html-validate finds no error (its
"standard" rules plus a few of correctness, none of style), no page is wider than a 360 px
phone; and screenshots of the main pages at 1280 and 360 px, in English and Chinese, are
written to test-output/screenshots/ for review.

The pages are found by walking each person's links from the home page (one page per URL
shape: /forums/t/1 and /forums/t/2 count once), on the one shared ``community`` site, once.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import PHONE, log_in

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
HTML_VALIDATE = ROOT / ".ci" / "tools" / "node_modules" / ".bin" / "html-validate"
HTML_RULES = Path(__file__).with_name("htmlvalidate.json")
PEOPLE = {"visitor": None, "learner": "learner@example.com", "creator": "creator@example.com",
          "admin": "admin@example.com"}
# Pages no link leads a visitor to, and the compact view of a circle.
EXTRA = ["/login", "/signup", "/reset", "/no-such-page", "/forums/c/1?view=table"]
# Not pages: files, feeds, pictures, and the links that change state or leave the session.
NOT_PAGES = re.compile(
    r"^/(static|avatars|covers)/|^/logout|/(cover|media|download|attachment|export|file)s?(/|$)"
    r"|\.(ics|csv|xml|json|txt|pdf|webp|png|jpe?g|zip)$"
)
MAX_PAGES = 60  # per person: every URL shape of today's site, with room to grow
FAILING_IMPACTS = ("serious", "critical")
# Rules whose impact axe calls minor or moderate but that the issue named as failures.
FAILING_RULES = ("empty-table-header", "duplicate-id", "duplicate-id-active")


@dataclass
class Visit:
    person: str
    path: str
    html: str
    problems: list[str] = field(default_factory=list)


def shape(path: str) -> str:
    """The URL shape a page stands for: its numbers replaced, its query kept only for the view."""
    parts = urlsplit(path)
    return re.sub(r"\d+", "N", parts.path) + ("?view=table" if "view=table" in parts.query else "")


def links(page) -> list[str]:
    """The site's own pages a page links to, without fragments and queries."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or NOT_PAGES.search(parts.path):
            continue
        found.append(parts.path)
    return found


def walk(page, person: str, axe) -> list[Visit]:
    """Every page shape ``person`` reaches from the home page (and the EXTRA ones), checked."""
    queue, seen, visits = ["/", *EXTRA], set(), []
    while queue and len(visits) < MAX_PAGES:
        path = queue.pop(0)
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        response = page.goto(path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        page.wait_for_load_state("networkidle")
        visit = Visit(person, path, response.text())
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in FAILING_IMPACTS or violation["id"] in FAILING_RULES:
                targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
                visit.problems.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
        visits.append(visit)
        queue += [link for link in links(page) if shape(link) not in seen]
    return visits


@pytest.fixture(scope="module")
def visits(browser, community) -> list[Visit]:
    """Each person's walk through the site, in a browser context of their own."""
    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), []
    for number, (person, email) in enumerate(PEOPLE.items()):
        # The learner reads in dark mode, so both colour schemes meet the contrast rules.
        context = browser.new_context(base_url=community.url, locale="en-GB",
                                      color_scheme="dark" if person == "learner" else "light",
                                      extra_http_headers={"X-Forwarded-For": f"10.250.0.{number + 1}"})
        context.set_default_timeout(20_000)  # as browser_pages': CI's cores are busy
        page = context.new_page()
        if email:
            log_in(page, email)
        found += walk(page, person, axe)
        context.close()
    return found


def test_every_page_passes_axe_as_every_kind_of_person(visits):
    shapes = {shape(v.path) for v in visits}
    # The walk reached the core and each plugin's pages, as each person.
    for expected in ("/", "/courses/", "/courses/N", "/forums/", "/forums/c/N", "/forums/t/N", "/shop/",
                     "/admin/", "/courses/studio/", "/hello/", "/notifications", "/account/profile"):
        assert expected in shapes, f"the walk never reached {expected}"
    assert {v.person for v in visits} == set(PEOPLE)
    problems = [f"{v.person} {v.path}: {p}" for v in visits for p in v.problems]
    assert problems == [], "\n".join(problems)


def test_every_page_is_valid_html(visits, tmp_path):
    if not HTML_VALIDATE.exists():
        pytest.skip("html-validate is not installed: .ci/run installs it into .ci/tools")
    files = {}
    for number, visit in enumerate(visits):
        target = tmp_path / f"{number:03d}.html"
        target.write_text(visit.html)
        files[str(target)] = visit
    # The report goes to a file: Node cuts piped output short when the tool exits (about 64 KB).
    report = tmp_path / "report.json"
    done = subprocess.run([str(HTML_VALIDATE), "--config", str(HTML_RULES), "--formatter", f"json={report}", *files],
                          capture_output=True, text=True, timeout=120)
    results = json.loads(report.read_text() if report.exists() else "[]")
    errors = [
        f"{files[result['filePath']].person} {files[result['filePath']].path}:{message['line']}: "
        f"{message['ruleId']}: {message['message']}"
        for result in results for message in result["messages"] if message["severity"] == 2
    ]
    assert done.returncode in (0, 1), done.stderr
    assert errors == [], "\n".join(errors)


MAIN_PAGES = ["/", "/courses/", "/courses/2", "/forums/", "/forums/c/1", "/forums/t/3", "/shop/", "/notifications"]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_main_pages_fit_a_phone_and_are_photographed(browser, community, language):
    """A learner's main pages and certificate at 1280 and 360 px: nothing wider than the
    phone; each shot saved."""
    folder = SCREENSHOTS / language
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    too_wide = []
    for width, viewport in (("1280", {"width": 1280, "height": 800}), ("360", PHONE)):
        context = browser.new_context(base_url=community.url, viewport=viewport, locale="en-GB",
                                      extra_http_headers={"X-Forwarded-For": f"10.251.{len(language)}.{len(width)}"})
        page = context.new_page()
        log_in(page, "learner@example.com")
        if language != "en":  # a boosted form: wait for the answer that sets the language, not for a page load
            page.select_option("#site-locale", language)
            with page.expect_response(lambda response: response.url.endswith("/language")):
                page.locator("footer .language button").click()
        # Members find their places in a bar at the bottom of a phone's screen, not on a desktop.
        assert page.locator("nav.bottom-nav").is_visible() == (width == "360")
        assert page.locator("nav.bottom-nav a").count() == 5
        page.goto("/courses/2")  # the learner finished it: their certificate is one of their pages
        certificate = page.locator("a[href^='/courses/certificates/']").first.get_attribute("href")
        for path in [*MAIN_PAGES, certificate]:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            name = "certificate" if path == certificate else re.sub(r"[^a-z0-9]+", "-", path).strip("-") or "home"
            page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if width == "360" and scroll > PHONE["width"]:
                too_wide.append(f"{path} is {scroll} px wide")
        if language != "en":  # the learner is shared with the other walks on this site: back to English
            page.select_option("#site-locale", "en")
            with page.expect_response(lambda response: response.url.endswith("/language")):
                page.locator("footer .language button").click()
            page.goto("/")  # htmx swapped only the body of the boosted form's answer, not <html lang>
            page.locator("html[lang^=en]").wait_for(state="attached")
        context.close()
    assert too_wide == []
    assert len(list(folder.glob("*.png"))) == 2 * (len(MAIN_PAGES) + 1)

