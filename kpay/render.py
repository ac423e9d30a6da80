"""Page-or-partial rendering, navigation and widget slots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, make_response, render_template, request, url_for
from htmx_flask import request as htmx_request  # flask's request, typed with htmx-flask's .htmx
from flask_login import current_user
from markupsafe import Markup

from kpay.i18n import language
from kpay.permissions import granted
from kpay.plugins import hook
from kpay.types import Asset, NavItem, Widget


def wants_partial() -> bool:
    """True for an htmx request that swaps part of a page (not boosted, not a history restore)."""
    htmx = htmx_request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, partial: str | None = None, status: int = 200, **context) -> Response:
    """The full ``page``, or only ``partial`` for an htmx request that swaps a part of it.

    The page template includes the partial, so both come from the same blocks; the response
    says ``Vary: HX-Request`` because its body depends on that header.
    """
    template = partial if partial and wants_partial() else page
    response = make_response(render_template(template, kpay_template=page, **context), status)
    response.vary.add("HX-Request")
    return response


def nav_items() -> list[NavItem]:
    """The navigation links for the current user, by order then label (the layout shows them
    through ``navigation``)."""
    items = [item for group in hook().kpay_nav_items(user=current_user) for item in group or ()]
    return sorted(items, key=lambda item: (item.order, item.label))


SHORTCUTS = 5  # links in the phones' bottom bar
TOOL_ICONS = ("edit", "settings")  # the creator's and admin's tools stay out of that bar


@dataclass(frozen=True)
class NavLink:
    """A navigation link as the layout shows it: label and URL resolved."""

    label: str
    href: str
    endpoint: str
    icon: str
    shortcut: bool  # also in the phones' bottom bar


def navigation() -> tuple[NavLink, ...]:
    """The site navigation of the current user, built once per role (a visitor's too), the
    permissions granted beyond it, language and script root for the app's life: the links are
    the same for every member who holds the same permissions, so a page view pays a dictionary
    look-up, not the hooks and a ``url_for`` per link."""
    role = _role()
    key = (role, granted(), language(), request.script_root)
    built = current_app.extensions.setdefault("kpay_navigation", {})
    if key not in built:
        items = nav_items()
        shortcuts = [item for item in items if item.icon not in TOOL_ICONS][:SHORTCUTS] if role else []
        built[key] = tuple(
            NavLink(str(item.label), url_for(item.endpoint, **item.values), item.endpoint, item.icon,
                    item in shortcuts)
            for item in items
        )
    return built[key]


def _role() -> str | None:
    """The signed-in member's role (None for a visitor), through ``current_user``'s proxy once."""
    user = current_user._get_current_object()
    return user.role if user.is_authenticated else None


def admin_nav_items() -> list[NavItem]:
    """The plugins' links in the admin console's menu for the current member."""
    items = [item for group in hook().kpay_admin_nav_items(user=current_user) for item in group or ()]
    return sorted(items, key=lambda item: (item.order, item.label))


def widgets(slot: str, **context) -> list[Widget]:
    """The widgets that fill ``slot`` for the current user, by order then title."""
    found = hook().kpay_widgets(slot=slot, context=context, user=current_user)
    return sorted((w for group in found for w in group or ()), key=lambda w: (w.order, w.title))


def assets(template: str | None) -> tuple[Asset, ...]:
    """Stylesheets and scripts the plugins ask for on ``template``, each once; asked once per
    template and script root for the app's life (the URLs carry the files' versions), so a page
    view pays a dictionary look-up, not the hook and a ``url_for`` per file."""
    key = (template, request.script_root)
    known = current_app.extensions.setdefault("kpay_assets", {})
    if key not in known:
        seen: dict[str, Asset] = {}
        for group in hook().kpay_assets(template=template):
            for asset in group or ():
                seen.setdefault(asset.url, asset)
        known[key] = tuple(seen.values())
    return known[key]


def layout_part(template: str, page: str | None = None) -> Markup:
    """A part of the layout that is the same for every member of a role (the navigation, the
    stylesheets and scripts): ``template`` rendered once per role and permissions granted
    beyond it, language, endpoint, ``page`` template and script root, until the site's
    settings change (the site name, logo and colours apply at once). The member's own parts (the bell, their name, the CSRF token) stay outside,
    rendered on each request."""
    key = (template, page, _role(), granted(), language(), request.endpoint, request.script_root)
    settings = current_app.config["KPAY"]  # replaced, not changed in place, by the admin's settings
    settings_then, kept = current_app.extensions.get("kpay_layout", (None, {}))
    if settings_then is not settings:
        kept = {}
        current_app.extensions["kpay_layout"] = (settings, kept)
    if key not in kept:
        kept[key] = Markup(render_template(template, kpay_template=page))
    return kept[key]


def fixed_url(endpoint: str) -> str:
    """``url_for(endpoint)`` of an endpoint without arguments, built once per script root for
    the app's life: the layout's links (home, log-out, the bell...) on every page."""
    key = (endpoint, request.script_root)
    built = current_app.extensions.setdefault("kpay_fixed_urls", {})
    if key not in built:
        built[key] = url_for(endpoint)
    return built[key]


ROW_ID = 987654321  # stands for a row's id in the URL a list's rows share


def row_url(endpoint: str, key: str, **values):
    """The URL of each row of a list from one ``url_for``: ``row_url("forums.topic", "topic_id")``
    returns a function of the id; building a URL per row costs a string join, not a route build."""
    params: dict[str, Any] = {**values, key: ROW_ID}
    before, _, after = url_for(endpoint, **params).partition(str(ROW_ID))
    return lambda row_id: f"{before}{row_id}{after}"
