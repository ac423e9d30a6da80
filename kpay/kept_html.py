"""Parts of pages rendered once per process and shared by every reader.

A topic page shows 30 posts, a circle's feed 30 topics, the catalogue 24 course cards and a
course page 20 reviews and its syllabus; rendering each one costs more than the rest of the
page. The part a reader does not change is rendered by a macro of its arguments alone and kept
here under those arguments (the row's own columns, its author's, the state that is the
reader's, such as whether they may read a hidden post or their read marker), with the author's
level badge, the page's language, time zone and script root. An edit, a hidden post, a new reply or a
renamed author therefore makes a new key at once in every worker, with nothing to expire or
invalidate; what each reader may do (like, edit, delete, moderate) is rendered outside it. The
oldest entries go once the kept HTML and texts pass ``BUDGET`` characters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import current_app, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from kpay.i18n import language as current_language, zone

BUDGET = 2_000_000  # characters of HTML and of the texts in its keys kept per process (≈ 2-8 MB)

# Stands for the reader's CSRF token in kept HTML, replaced once per page (``with_csrf``); no
# member's text can hold it, as the sanitizer drops unknown tags and escapes every "<" it keeps.
CSRF_HOLE = Markup("<kpay-csrf-token>")


class KeptHtml:
    """Rendered HTML by key, bounded by the characters it holds (with what it was made of),
    oldest out first; a part over a twentieth of the budget is not kept, so one huge part never
    empties the rest."""

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
        if (size + len(html)) * 20 > self.budget:
            return html
        with self.lock:
            replaced = self.made.pop(key, None)  # another thread made it meanwhile
            self.size -= replaced[1] if replaced else 0
            self.made[key] = html, size + len(html)
            self.size += size + len(html)
            while self.size > self.budget:
                self.size -= self.made.pop(next(iter(self.made)))[1]
        return html


def _kept() -> KeptHtml:
    return current_app.extensions.setdefault("kpay_kept_html", KeptHtml())


def _reader() -> tuple[str, str, str]:
    """What kept HTML depends on besides its key: the request's language, time zone (times are
    shown in the reader's) and script root."""
    return current_language(), str(zone()), request.script_root


def keep_html(key: tuple, size: int, render: Callable[[], Markup]) -> Markup:
    """``render()``'s HTML in this request's language, time zone and script root, kept per
    process under ``key``, which must hold everything else it shows but words and URLs; ``size``
    counts the characters of long texts in ``key``."""
    return _kept().get((key, _reader()), size, render)


def kept_macro(template: str, macro: str) -> Callable[..., Markup]:
    """``kept(author, size, *args)``: the HTML of ``macro`` of ``template`` for ``args`` in
    this request's language and time zone, from the process's kept HTML. The macro must show nothing but
    its arguments, words and URLs, and the avatar of ``author`` (whose level badge joins the
    key); ``size`` counts the characters of long texts among the arguments."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kept = _kept()
    render = getattr(app.jinja_env.get_template(template).module, macro)
    badge = app.jinja_env.globals.get("member_badge")
    page = (template, macro, *_reader())

    def kept_html(author, size: int, *args) -> Markup:
        key = (page, args, badge(author) if badge and author else None)
        return kept.get(key, size, lambda: render(*args))

    return kept_html


def with_csrf(html: str) -> Markup:
    """Kept HTML joined for a page, with the reader's CSRF token in place of each ``CSRF_HOLE``."""
    return Markup(html.replace(CSRF_HOLE, escape(generate_csrf())))
