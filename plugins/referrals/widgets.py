"""The share sheet beside shareable pages, the invite card on home and My learning, and the
invite-code field in the sign-up and checkout forms (read by ``typed``).

Both are built without a query: the member's code comes from their id (``codes``), and the
item's title and picture from the page's share card (``kpay.api.current_share_card``). The
share sheet's HTML is kept per process for the card (``kpay.api.keep_html``), with a hole for
the member's link.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from flask import get_template_attribute, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from kpay.api import CSRF_HOLE, Widget, current_share_card, keep_html, with_csrf
from plugins.referrals import poster, typed
from plugins.referrals.attribution import invited
from plugins.referrals.views import invite_link


class Sheet(NamedTuple):
    """What a share sheet shows, the key of its kept HTML: the member (None: a visitor), the
    shared path, the page's title, price and picture, and its address (with the site's host)."""

    user_id: int | None
    item: str
    title: str
    price: str
    image: str
    url: str


def share_sheet(user) -> list[Widget]:
    """The share sheet for the page being shown: its link (with the member's code), the
    channels and the poster."""
    card = current_share_card()
    sheet = Sheet(user.id if user.is_authenticated else None, urlsplit(card.url).path if card else request.path,
                  card.title if card else "", card.price if card else "", card.image if card else "",
                  card.url if card else request.base_url)
    return [Widget(_l("Share"), order=900, template="referrals/_share.html", context={"sheet": sheet})]


# Stands for the member's link in a member's kept share sheet, as ``CSRF_HOLE`` for the token.
LINK_HOLE = Markup("<kpay-share-link>")


def sheet_html(sheet: Sheet) -> Markup:
    """The share sheet's HTML (``_share_sheet.html``), kept per process for the page's card
    and whether the reader is a member, with their own link and CSRF token put in; the
    poster's signed address is made only when it is rendered."""
    def render() -> Markup:
        macro = get_template_attribute("referrals/_share_sheet.html", "share_sheet")
        if sheet.user_id is None:
            return macro(sheet.url, sheet.item, sheet.title, None, "")
        spec = poster.token(sheet.title, sheet.price, sheet.image, sheet.item)
        return macro(LINK_HOLE, sheet.item, sheet.title, url_for("referrals.poster_png", s=spec), CSRF_HOLE)

    key = ("referrals.share", sheet.user_id is not None, *sheet[1:])
    html = keep_html(key, len(sheet.title) + len(sheet.image), render)
    if sheet.user_id is not None:
        html = html.replace(LINK_HOLE, escape(invite_link(sheet.user_id, sheet.item)))
    return with_csrf(html)


def invite_card(user) -> list[Widget]:
    """The invite card: the member's link and the way to their invitations."""
    return [Widget(_l("Invite friends"), order=800, template="referrals/_invite_card.html",
                   context={"link": invite_link(user.id)})]


def code_field(slot: str, user) -> list[Widget]:
    """The invite-code field: in the sign-up form, and in the checkout form of a member nobody
    invited yet (attribution is fixed once)."""
    if slot == "checkout.form" and (not user.is_authenticated or invited(user.id)):
        return []
    return [Widget(_l("Invite code"), order=500, template="referrals/_code_field.html",
                   context={"code": request.values.get(typed.FIELD, "")[:20]})]
