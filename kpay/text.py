"""Member-written markdown turned into sanitized HTML: the one way user text becomes markup."""

from __future__ import annotations

import functools
import html
import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "blockquote", "ul", "ol", "li", "code", "pre", "a", "img", "table", "thead", "tbody",
    "tr", "th", "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


CACHED_CHARS = 2_000  # longer texts (lesson bodies) are rendered each time, to bound memory


def render_markdown(text: str | None) -> Markup:
    """Sanitized HTML for a member's markdown, inside a container htmx will not process.

    Short texts (posts, reviews) are remembered per process by the text itself (an edit is a
    new text): pages are read far more often than what members wrote changes, and rendering
    is much of a page's cost. The cache holds at most 2,048 texts of up to 2,000 characters.
    Raw HTML in the text is shown as text; what markdown produces is filtered by an
    allow-list: no ``style``, ``on*``, ``hx-*`` or ``data-*`` attributes, no iframes, forms
    or scripts, links only to http(s) and mailto with ``rel="nofollow ugc noopener"``.
    """
    if text and len(text) > CACHED_CHARS:
        return _render(text)
    return _render_cached(text or "")


@functools.lru_cache(maxsize=2048)
def _render_cached(text: str) -> Markup:
    return _render(text)


def _render(text: str) -> Markup:
    html = nh3.clean(
        _md.render(text),
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
    return Markup('<div class="user-content" hx-disable>') + Markup(html) + Markup("</div>")


_IMAGE_SRC = re.compile(r'<img[^>]*?\ssrc="([^"]+)"')


def excerpt(text: str | None, chars: int = 240) -> str:
    """The plain words of a member's markdown, cut at a word near ``chars`` with "…" when
    longer: what a feed or a card shows before "more" (short texts remembered like
    ``render_markdown``'s)."""
    if text and len(text) > CACHED_CHARS:
        return _excerpt(text, chars)
    return _excerpt_cached(text or "", chars)


def _excerpt(text: str, chars: int) -> str:
    words = " ".join(render_markdown(text).striptags().split())
    if len(words) <= chars:
        return words
    cut = words[:chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > chars * 0.6 else cut).rstrip(" ,.;:，。；：") + "…"


_excerpt_cached = functools.lru_cache(maxsize=2048)(_excerpt)


def pictures(text: str | None, limit: int = 3) -> list[str]:
    """The addresses of the first ``limit`` pictures in a member's markdown, as sanitized."""
    return [html.unescape(src) for src in _IMAGE_SRC.findall(render_markdown(text))[:limit]]
