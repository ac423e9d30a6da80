"""Renewal rate and churn of memberships, read from commerce's entitlements in one statement.

A membership period is an entitlement (not revoked) to a membership product. It is **due** in a
range when it ends in the range; it is **renewed** when the same member holds another period of
the same product starting when it ends or within ``GRACE`` after, **churned** when the grace is
over without one, and **awaiting** while it is not yet over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from kpay.api import Entitlement, EntitlementStatus, Product, db, site_now, utcnow

GRACE = timedelta(days=7)


@dataclass(frozen=True)
class Renewals:
    """The membership periods that ended in a range, by what became of them."""

    renewed: int = 0
    churned: int = 0
    awaiting: int = 0

    @property
    def decided(self) -> int:
        return self.renewed + self.churned

    @property
    def rate(self) -> float | None:
        """Renewed / (renewed + churned), or None when no period is decided."""
        return self.renewed / self.decided if self.decided else None

    @property
    def churn(self) -> float | None:
        """Churned / (renewed + churned), or None when no period is decided."""
        return self.churned / self.decided if self.decided else None


def count(start, end, now: datetime | None = None) -> Renewals:
    """What became of the membership periods ending from day ``start`` to day ``end``
    (inclusive, in the site's time zone) and before ``now``."""
    now = now or utcnow()
    zone = site_now().tzinfo
    since = datetime.combine(start, time(), tzinfo=zone)
    until = min(datetime.combine(end + timedelta(days=1), time(), tzinfo=zone), now)
    later = sa.orm.aliased(Entitlement)
    next_start = (
        sa.select(sa.func.min(later.starts_at))
        .where(later.user_id == Entitlement.user_id, later.product_id == Entitlement.product_id,
               later.status == EntitlementStatus.ACTIVE, later.id != Entitlement.id,
               later.starts_at >= Entitlement.ends_at)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Entitlement.ends_at, next_start)
        .join(Product, Product.id == Entitlement.product_id)
        .where(Product.kind == "membership", Entitlement.status == EntitlementStatus.ACTIVE,
               Entitlement.ends_at >= since, Entitlement.ends_at < until)
    ).all()
    renewed = churned = awaiting = 0
    for ends_at, renewal in rows:
        if renewal is not None and renewal <= ends_at + GRACE:
            renewed += 1
        elif now < ends_at + GRACE:
            awaiting += 1
        else:
            churned += 1
    return Renewals(renewed, churned, awaiting)
