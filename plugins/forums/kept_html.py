"""Parts of the forums' pages rendered once per process and shared by every reader.

A topic page shows 30 posts and a circle's feed 30 topics; rendering each one's header (avatar,
level badge, number, time, badges) and text costs more than the rest of the page. The part a
reader does not change is rendered by a macro of its arguments alone and kept here under those
arguments (the post's or topic's own columns, its author's, the state that is the reader's,
such as whether they may read a hidden post or their read marker), with the author's level
badge, the page's language and script root. An edit, a hidden post, a new reply or a renamed
author therefore makes a new key at once in every worker, with nothing to expire or
invalidate; what each reader may do (like, edit, delete, moderate) is rendered outside it. The
oldest entries go once the kept HTML and texts pass ``BUDGET`` characters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import current_app, request
from markupsafe import Markup

from kpay.api import current_language

BUDGET = 2_000_000  # characters of HTML and of the texts in its keys kept per process (≈ 2-8 MB)


class KeptHtml:
    """Rendered HTML by key, bounded by the characters it holds (with what it was made of),
    oldest out first."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget, self.size = budget, 0
        self.made: dict[tuple, tuple[Markup, int]] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple, size: int, render: Callable[[], Markup]) -> Markup:
        """The HTML kept under ``key``, or ``render()``'s, kept as ``size`` characters more than its own."""
        found = self.made.get(key)
        if found is not None:
            return found[0]
        html = render()
        with self.lock:
            replaced = self.made.pop(key, None)  # another thread made it meanwhile
            self.size -= replaced[1] if replaced else 0
            self.made[key] = html, size + len(html)
            self.size += size + len(html)
            while self.size > self.budget:
                self.size -= self.made.pop(next(iter(self.made)))[1]
        return html


def for_request(template: str, macro: str) -> Callable[..., Markup]:
    """``kept(author, size, *args)``: the HTML of ``macro`` of ``template`` for ``args`` in
    this request's language, from the process's kept HTML. The macro must show nothing but
    its arguments, words and URLs, and the avatar of ``author`` (whose level badge joins the
    key); ``size`` counts the characters of long texts among the arguments."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kept = app.extensions.setdefault("forums.kept_html", KeptHtml())
    render = getattr(app.jinja_env.get_template(template).module, macro)
    badge = app.jinja_env.globals.get("member_badge")
    page = (template, macro, current_language(), request.script_root)

    def kept_html(author, size: int, *args) -> Markup:
        key = (page, args, badge(author) if badge and author else None)
        return kept.get(key, size, lambda: render(*args))

    return kept_html
