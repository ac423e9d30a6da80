"""The share sheet beside shareable pages, the invite card on home and My learning, and the
invite-code field in the sign-up and checkout forms (read by ``typed``).

Both are built without a query: the member's code comes from their id (``codes``), and the
item's title and picture from the page's share card (``kpay.api.current_share_card``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from kpay.api import Widget, current_share_card
from plugins.referrals import poster, typed
from plugins.referrals.attribution import invited
from plugins.referrals.views import invite_link


def share_sheet(user) -> list[Widget]:
    """The share sheet for the page being shown: its link (with the member's code), the
    channels and the poster."""
    card = current_share_card()
    item = urlsplit(card.url).path if card else request.path
    title = card.title if card else ""
    if not user.is_authenticated:
        link = card.url if card else request.base_url
        return [Widget(_l("Share"), order=900, template="referrals/_share.html",
                       context={"link": link, "item": item, "title": title})]
    spec = poster.token(title, card.price if card else "", card.image if card else "", item)
    return [Widget(_l("Share"), order=900, template="referrals/_share.html", context={
        "link": invite_link(user.id, item), "item": item, "title": title,
        "poster": url_for("referrals.poster_png", s=spec),
    })]


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
