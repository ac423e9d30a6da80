"""``can_access``: the one place that decides whether a member may see paid content."""

from __future__ import annotations

from kpay.commerce import entitlements
from kpay.plugins import hook
from kpay.types import Resource


def can_access(user, resource: Resource) -> bool:
    """True when ``user`` (a member, or an anonymous visitor) may see ``resource``.

    Free resources are open to everyone the plugin lets see them; admins, owners and the
    resource's creator always have access; anyone else needs a running entitlement to one of
    the products that unlock it (asked of the plugins through ``kpay_resource_products``).
    Entitlements are read on every call, so a purchase or refund counts from the next request.
    """
    if resource.free:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin or (resource.creator_id is not None and resource.creator_id == user.id):
        return True
    product_ids = {pid for group in hook().kpay_resource_products(resource=resource) for pid in group or ()}
    return entitlements.has_active(user.id, product_ids)
