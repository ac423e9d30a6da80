"""Share cards: the Open Graph and Twitter-card tags of a page that can be shared.

A shareable page (a course, a circle, a topic, a product) calls ``share_card(...)`` once in its
``head`` block; the call returns the ``<meta>`` tags and remembers the card for the rest of the
request, so a share sheet in a widget (``current_share_card()``) shares the same title, picture
and canonical address. Descriptions say only what means something: the caller leaves out a
zero count or a rating without reviews, and empty parts are dropped here. The tags are kept
rendered per process for the card and the site's name (``kpay.kept_html``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, render_template, request, url_for
from markupsafe import Markup

from kpay.kept_html import keep_html


@dataclass(frozen=True)
class ShareCard:
    """What a shared link shows: ``url`` is the canonical absolute address, ``image`` an
    absolute picture address or empty, ``price`` a formatted price or empty."""

    title: str
    description: str
    url: str
    image: str = ""
    price: str = ""
    kind: str = "website"


def share_card(title: str, *facts: str, image: str = "", price: str = "", kind: str = "website",
               url: str = "") -> Markup:
    """The ``<meta>`` tags of this page's card, remembered for ``current_share_card``.

    ``facts`` are joined with " · " into the description, empty ones left out; ``url`` defaults
    to this page's address without its query string.
    """
    card = ShareCard(
        title=str(title), description=" · ".join(str(f) for f in facts if f), url=url or canonical_url(),
        image=image, price=price, kind=kind,
    )
    g.kpay_share_card = card
    site = current_app.config["KPAY"]["site_name"]
    return keep_html(("share_card", card, site), len(card.title) + len(card.description),
                     lambda: Markup(render_template("_share_card.html", card=card)))


def current_share_card() -> ShareCard | None:
    """The card this page declared with ``share_card``, or None."""
    return g.get("kpay_share_card")


def canonical_url() -> str:
    """This page's absolute address, without its query string."""
    if request.endpoint is None:
        return request.base_url
    return url_for(request.endpoint, **(request.view_args or {}), _external=True)
