"""A page of a circle's feed as HTML, each topic's item kept per process (``kpay.kept_html``)
for every reader with the same read marker on it (most often: never opened)."""

from __future__ import annotations

from markupsafe import Markup

from kpay.api import kept_macro
from plugins.forums.lists import Page


def feed_html(page: Page, host_id: int | None, signed_in: bool) -> Markup:
    """The items of ``page``'s pinned and listed topics (``_feed_item.html``) as the reader sees them."""
    kept = kept_macro("forums/_feed_item.html", "feed_item")
    parts = []
    for t in page.pinned + page.rows:
        opening = page.openings.get(t.id)
        size = len(opening.body) if opening and opening.body else 0
        parts.append(kept(t.author, size, t, page.read.get(t.id), opening, host_id, signed_in))
    return Markup("".join(parts))
