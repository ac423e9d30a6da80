"""``can_access``: the one place that decides whether a member may see paid content."""

from __future__ import annotations

from collections.abc import Iterable

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
    decided = _without_products(user, resource)
    if decided is not None:
        return decided
    product_ids = {pid for group in hook().kpay_resource_products(resource=resource) for pid in group or ()}
    return entitlements.has_active(user.id, product_ids) or _granted(user, resource)


def can_access_keys(user, keys: Iterable[str]) -> set[str]:
    """The keys among ``keys`` (``Resource.key`` strings) whose resources ``user`` may see.

    The same rules as ``can_access``, for many resources in a constant number of statements:
    the plugins describe theirs through ``kpay_resources`` and the member's entitlements are
    read once. A key no plugin describes is asked of ``can_access`` on its own.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return set()
    described: dict[str, tuple[Resource, list[int] | None]] = {}
    for group in hook().kpay_resources(keys=wanted):
        described.update(group or {})
    allowed, unlocking, undecided = set(), {}, []
    for key in wanted:
        if key not in described:
            kind, _, ident = key.partition(":")
            if ident and can_access(user, Resource(kind, ident)):
                allowed.add(key)
            continue
        resource, product_ids = described[key]
        decided = _without_products(user, resource)
        if decided:
            allowed.add(key)
        elif decided is None:
            undecided.append(resource)
            if product_ids:
                unlocking[key] = set(product_ids)
    if unlocking:
        held = entitlements.active_among(user.id, set().union(*unlocking.values()))
        allowed |= {key for key, product_ids in unlocking.items() if not held.isdisjoint(product_ids)}
    return allowed | {resource.key for resource in undecided if resource.key not in allowed and _granted(user, resource)}


def _without_products(user, resource: Resource) -> bool | None:
    """What ``can_access`` answers before asking for products: open (free, an admin, the
    creator), closed (a visitor), or None when the member's entitlements decide."""
    if resource.free:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin or (resource.creator_id is not None and resource.creator_id == user.id):
        return True
    return None


def _granted(user, resource: Resource) -> bool:
    """True when a plugin opens ``resource`` to ``user`` on another ground than a product."""
    return any(grant is not None and grant.granted for grant in hook().kpay_access_grants(user=user, resource=resource))


def access_notes(user, resource: Resource) -> list[str]:
    """What a resource's locked page says about opening it besides buying it, one line per
    plugin's grant (``kpay_access_grants``: "Opens at level 3"), sorted; empty for none."""
    grants = hook().kpay_access_grants(user=user, resource=resource)
    return sorted(str(grant.note) for grant in grants if grant is not None and grant.note)
