"""The shop's products as items (the core's ``Product``, offered by this plugin itself through its
own hooks) and paid orders as their signals; a product that is one item's own (a course's, a
lecture's, a paid circle's) is left to that item, so nothing is recommended twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from flask import current_app

from kpay.api import Order, OrderStatus, Product, db
from plugins.recommendations.types import Item

BATCH = 1000  # resource keys described per kpay_resources call


def items(item) -> Iterator:
    """Every product on sale: its name and price (the shop's public card), creator and kind."""
    for product in db.session.scalars(sa.select(Product).where(Product.active.is_(True)).order_by(Product.id)):
        yield item(kind="product", id=product.id, title=product.name, url=f"/shop/{product.id}",
                   price_minor=product.price_minor, currency=product.currency, creator_id=product.creator_id,
                   features=(f"product:{product.kind}",), created_at=product.created_at)


def signals(signal) -> Iterator:
    """Paid orders (weight 3): the member bought the product."""
    rows = db.session.execute(sa.select(Order.user_id, Order.product_id, Order.paid_at)
                              .where(Order.status == OrderStatus.PAID))
    for uid, product_id, paid_at in rows:
        yield signal(user_id=uid, key=f"product:{product_id}", action="bought", at=paid_at, weight=3.0)


def owned_by_items(items: Iterable[Item]) -> set[int]:
    """The ids of the products that unlock exactly one resource the other items describe (a
    course's, a lecture's, a paid circle's own product): that item stands for it. A product
    unlocking several (a bundle, an all-access membership) is an offer of its own."""
    resources = {item.resource.key: item.resource for item in items if item.kind != "product" and item.resource}
    hook = current_app.extensions["kpay"].pm.hook
    described: dict[str, list[int]] = {}
    keys = sorted(resources)
    for start in range(0, len(keys), BATCH):
        for group in hook.kpay_resources(keys=keys[start:start + BATCH]):
            described.update({key: ids or [] for key, (_, ids) in (group or {}).items()})
    for key in set(keys) - set(described):  # a plugin without kpay_resources, asked one by one
        described[key] = [pid for group in hook.kpay_resource_products(resource=resources[key]) for pid in group or ()]
    unlocks: dict[int, set[str]] = defaultdict(set)
    for key, ids in described.items():
        for pid in ids:
            unlocks[pid].add(key)
    return {pid for pid, keys_ in unlocks.items() if len(keys_) == 1}
