"""``can_access``: the one place that decides whether a member may see paid content."""

from __future__ import annotations

from kpay.commerce import entitlements
from kpay.plugins import hook
from kpay.types import Resource


def can_access(user, resource: Resource) -> bool:
    """True when ``user`` (a member, or an anonymous visitor) may see ``resource``.

    Free resources are open to everyone the plugin lets see them; admins, owners and the
    resource's creator always have access; anyone else needs a running entitlement to one of
    the products that unlock it (asked of the plugins through ``kpay_resource_products``), or
    a plugin's grant (``kpay_access_grants``: a level reached, say). Entitlements are read on
    every call, so a purchase or refund counts from the next request.
    """
    if resource.free:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin or (resource.creator_id is not None and resource.creator_id == user.id):
        return True
    product_ids = {pid for group in hook().kpay_resource_products(resource=resource) for pid in group or ()}
    if entitlements.has_active(user.id, product_ids):
        return True
    return any(grant is not None and grant.granted for grant in hook().kpay_access_grants(user=user, resource=resource))


def access_notes(user, resource: Resource) -> list[str]:
    """What a resource's locked page says about opening it besides buying it, one line per
    plugin's grant (``kpay_access_grants``: "Opens at level 3"), sorted; empty for none."""
    grants = hook().kpay_access_grants(user=user, resource=resource)
    return sorted(str(grant.note) for grant in grants if grant is not None and grant.note)
