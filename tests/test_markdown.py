"""S9: member markdown becomes HTML that cannot run script or fire htmx requests."""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpay.text import render_markdown

WRAPPER_OPEN = '<div class="user-content" hx-disable>'
XSS_CORPUS = [
    '<a hx-post="/admin/plugins/x/disable" hx-trigger="load">x</a>',
    '<div data-hx-post="/logout" data-hx-trigger="revealed">x</div>',
    '<div hx-get="/admin" hx-trigger="load" hx-target="body"></div>',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)">',
    '<iframe src="https://evil.example"></iframe>',
    '<form action="/logout" method="post"><button>win</button></form>',
    '<input autofocus onfocus="alert(1)">',
    '<p style="position:fixed;inset:0">cover</p>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt&#58;alert(1))",
    "[click](java\tscript:alert(1))",
    "![x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "<a href='https://ok.example' onclick='alert(1)'>x</a>",
    "<!-- <script>alert(1)</script> -->",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<object data="x.swf"></object><embed src="x.swf">',
]
ALLOWED_SCHEMES = ("http:", "https:", "mailto:")
FORBIDDEN_TAGS = {
    "script", "iframe", "form", "input", "button", "style", "svg", "object", "embed", "base", "meta",
}


class TagCollector(HTMLParser):
    """Every tag in the output with its attributes (values unescaped)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def inner_tags(html: str) -> list[tuple[str, dict]]:
    """The tags inside the wrapper, after checking the wrapper is the one outer element."""
    assert html.startswith(WRAPPER_OPEN) and html.endswith("</div>")
    collector = TagCollector()
    collector.feed(html)
    assert collector.tags[0] == ("div", {"class": "user-content", "hx-disable": None})
    return collector.tags[1:]


def assert_harmless(html: str) -> None:
    for tag, attrs in inner_tags(html):
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attrs.items():
            assert not name.startswith(("hx-", "data-", "on")) and name != "style", html
            if name in ("href", "src"):
                url = re.sub(r"[\x00-\x20]", "", value or "").lower()
                assert url.startswith(ALLOWED_SCHEMES) or not re.match(r"^[a-z0-9+.-]*:", url), html
    markup = "".join(re.findall(r"<[^>]*>", html))  # every real tag: text has < escaped
    for needle in ("hx-post", "hx-get", "hx-trigger", "javascript:", "<script", "<iframe", "<form", "style="):
        assert needle not in markup.lower(), html
    assert not re.search(r"\son\w+\s*=", markup)
    assert markup.count("hx-disable") == 1


@pytest.mark.parametrize("text", XSS_CORPUS)
def test_known_attacks_render_harmless(text):
    assert_harmless(str(render_markdown(text)))


markdown_pieces = st.sampled_from(
    ["# ", "**", "_", "`", "```\n", "\n\n", "> ", "- ", "1. ", "[", "](", ")", "![", "<", ">",
     '"', "'", "=", "&#", ";", ":", "javascript", "hx-get", "on", "error", "http://x.example/",
     "| a | b |\n|---|---|\n", "<a ", "<img ", "\t", "\\", "%0a"] + XSS_CORPUS
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(markdown_pieces, st.text(max_size=8)), max_size=25).map("".join))
def test_any_markdown_renders_harmless(text):
    assert_harmless(str(render_markdown(text)))


def test_links_get_nofollow_ugc_noopener():
    html = str(render_markdown("see [docs](https://docs.example/a) and <https://x.example>"))
    links = [attrs for tag, attrs in inner_tags(html) if tag == "a"]
    assert [a["href"] for a in links] == ["https://docs.example/a", "https://x.example"]
    assert {a["rel"] for a in links} == {"nofollow ugc noopener"}


def test_ordinary_markdown_keeps_its_formatting():
    html = str(render_markdown("# Title\n\n**bold** and `code`\n\n- one\n- two"))
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<code>code</code>" in html and "<li>two</li>" in html


def test_empty_text_renders_an_empty_container():
    assert str(render_markdown(None)) == WRAPPER_OPEN + "</div>"
