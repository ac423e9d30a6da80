"""Posts' markdown rendered once per process: a long topic's pages are read far more often than
its posts change, and rendering is most of a topic page's cost."""

from __future__ import annotations

import functools

from markupsafe import Markup

from kpay.text import render_markdown


@functools.lru_cache(maxsize=4096)
def cooked(body: str) -> Markup:
    """``render_markdown(body)``, remembered by the text itself (an edit is a new text)."""
    return render_markdown(body)
