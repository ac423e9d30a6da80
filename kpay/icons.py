"""Line icons by name (the ``icon`` of a NavItem), drawn as inline SVG.

A function rather than a macro: the layout shows one for each link of the phones' bottom bar,
the bell and the log-out button on every page, and a call costs a fraction of a macro's.
"""

from __future__ import annotations

from markupsafe import Markup

PATHS = {
    "home": '<path d="M3 11 12 4l9 7"/><path d="M5 10v10h5v-6h4v6h5V10"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4 3.6-6 8-6s8 2 8 6"/>',
    "book": '<path d="M4 5c3-1.3 6-1.3 8 .8 2-2.1 5-2.1 8-.8v14c-3-1.3-6-1.3-8 .8-2-2.1-5-2.1-8-.8z"/><path d="M12 5.8V20"/>',
    "chat": '<path d="M4 5h16v11H10l-5 4v-4H4z"/>',
    "bag": '<path d="M5 8h14l-1 12H6z"/><path d="M9 8V6a3 3 0 0 1 6 0v2"/>',
    "bell": '<path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4z"/><path d="M10 20a2 2 0 0 0 4 0"/>',
    "heart": '<path d="M12 20s-7-4.4-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.6-7 10-7 10z"/>',
    "logout": '<path d="M14 4h5v16h-5"/><path d="M10 8l-4 4 4 4"/><path d="M6 12h10"/>',
    "calendar": '<rect x="4" y="5" width="16" height="15" rx="1"/><path d="M4 10h16"/><path d="M8 3v4"/><path d="M16 3v4"/>',
    "learn": '<path d="M2 9l10-5 10 5-10 5z"/><path d="M6 11v5c3 2 9 2 12 0v-5"/>',
}
UNKNOWN = '<circle cx="12" cy="12" r="3.5"/>'  # a dot for a name without a drawing
SVG = '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{}</svg>'
ICONS = {name: Markup(SVG.format(paths)) for name, paths in PATHS.items()}
DOT = Markup(SVG.format(UNKNOWN))


def icon(name: str) -> Markup:
    """The icon called ``name`` as HTML, decorative (the link or button around it carries the
    words); a dot for an unknown name."""
    return ICONS.get(name, DOT)
