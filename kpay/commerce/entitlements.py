"""Entitlements: who may use which product, from when until when, and why.

A purchase grants one entitlement (its source is the order). A membership bought while one
is still running starts where the running one ends, so renewing early loses no days; an
ended one gives no access from the moment it ends. A full refund revokes the order's
entitlement at once. Every change is written to ``entitlement_events``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import g, has_app_context

from kpay.extensions import db
from kpay.models.base import utcnow
from kpay.models.commerce import Entitlement, EntitlementEvent, EntitlementStatus, Product
from kpay.transactions import insert_once


def _current(user_id: int, product_ids: Iterable[int], now: datetime):
    return (
        sa.select(Entitlement)
        .where(
            Entitlement.user_id == user_id,
            Entitlement.product_id.in_(list(product_ids)),
            Entitlement.status == EntitlementStatus.ACTIVE,
            Entitlement.starts_at <= now,
            sa.or_(Entitlement.ends_at.is_(None), Entitlement.ends_at > now),
        )
    )


def held_query(user_id, now):
    """The ids of the products the member holds a running entitlement to at ``now``, as a
    scalar subquery of one comma-separated string (None for none): the log-in loads it with
    the member, so the request's access checks need no statement of their own."""
    running = sa.select(Entitlement.product_id).where(
        Entitlement.user_id == user_id, Entitlement.status == "active", Entitlement.starts_at <= now,
        sa.or_(Entitlement.ends_at.is_(None), Entitlement.ends_at > now))
    # The separator written into the SQL: a plain "," is sent as a literal-execute parameter,
    # which makes SQLAlchemy rewrite the statement's text on every execution (every request).
    return sa.select(sa.func.aggregate_strings(sa.cast(running.subquery().c.product_id, sa.String),
                                               sa.literal_column("','"))).scalar_subquery()


def remember_held(user_id: int, held: str | None) -> None:
    """Keep ``held_query``'s answer for the rest of the request (see ``has_active``)."""
    g.entitlements_held = (user_id, {int(pid) for pid in held.split(",")} if held else set())


def _changed() -> None:
    if has_app_context():
        g.pop("entitlements_held", None)


def has_active(user_id: int, product_ids: Iterable[int], now: datetime | None = None) -> bool:
    """True when the member holds a running entitlement to any of ``product_ids``: from what
    the request loaded with the member (unless it changed entitlements since), else one query."""
    ids = list(product_ids)
    if not ids:
        return False
    held = g.get("entitlements_held") if now is None and has_app_context() else None
    if held is not None and held[0] == user_id:
        return not held[1].isdisjoint(ids)
    query = _current(user_id, ids, now or utcnow()).limit(1)
    return db.session.scalar(query) is not None


def active_among(user_id: int, product_ids: Iterable[int]) -> set[int]:
    """The ids among ``product_ids`` the member holds a running entitlement to: from what the
    request loaded with the member (as ``has_active``), else one query."""
    ids = set(product_ids)
    if not ids:
        return set()
    held = g.get("entitlements_held") if has_app_context() else None
    if held is not None and held[0] == user_id:
        return ids & held[1]
    query = _current(user_id, ids, utcnow()).with_only_columns(Entitlement.product_id)
    return set(db.session.scalars(query))


def paid_until(user_id: int, product_id: int, now: datetime | None = None) -> datetime | None:
    """The end of the member's membership of ``product_id`` counting renewals already bought,
    or None when they hold none (or one that never ends)."""
    now = now or utcnow()
    return db.session.scalar(
        sa.select(sa.func.max(Entitlement.ends_at)).where(
            Entitlement.user_id == user_id, Entitlement.product_id == product_id,
            Entitlement.status == EntitlementStatus.ACTIVE, Entitlement.ends_at > now,
        )
    )


def held_products(user_id: int, now: datetime | None = None) -> Sequence[tuple[Product, datetime | None]]:
    """The products the member holds now, by name, each with when it ends (None: never); one
    statement."""
    now = now or utcnow()
    return db.session.execute(
        sa.select(Product, sa.func.max(Entitlement.ends_at))
        .join(Entitlement, Entitlement.product_id == Product.id)
        .where(
            Entitlement.user_id == user_id, Entitlement.status == EntitlementStatus.ACTIVE,
            sa.or_(Entitlement.ends_at.is_(None), Entitlement.ends_at > now),
        )
        .group_by(Product.id).order_by(Product.name)
    ).all()


def grant(user_id: int, product: Product, source: str, now: datetime | None = None) -> Entitlement:
    """The entitlement from ``source`` (made once; a replay returns the same row)."""
    now = now or utcnow()
    _changed()
    starts, ends = now, None
    if product.kind == "membership":
        starts = max(now, paid_until(user_id, product.id, now) or now)
        ends = starts + timedelta(days=product.period_days)
    entitlement_id = insert_once(
        Entitlement, ("user_id", "product_id", "source"),
        user_id=user_id, product_id=product.id, source=source, status=EntitlementStatus.ACTIVE,
        starts_at=starts, ends_at=ends, created_at=now,
    )
    if entitlement_id is not None:
        db.session.add(EntitlementEvent(
            entitlement_id=entitlement_id, name="granted",
            data={"starts_at": starts.isoformat(), "ends_at": ends.isoformat() if ends else None},
        ))
        db.session.flush()
    return db.session.scalar(
        sa.select(Entitlement).filter_by(user_id=user_id, product_id=product.id, source=source)
    )


def revoke(source: str, reason: str, now: datetime | None = None) -> int:
    """End every active entitlement from ``source`` now; returns how many.

    Renewals bought after a revoked membership move earlier by the days it no longer covers,
    so the member keeps every period still paid for, without a gap.
    """
    now = now or utcnow()
    _changed()
    ended = db.session.scalars(
        sa.update(Entitlement)
        .where(Entitlement.source == source, Entitlement.status == EntitlementStatus.ACTIVE)
        .values(status=EntitlementStatus.REVOKED)
        .returning(Entitlement)
    ).all()
    for entitlement in ended:
        db.session.add(EntitlementEvent(entitlement_id=entitlement.id, name="revoked", data={"reason": reason}))
        if entitlement.ends_at is not None and entitlement.ends_at > now:
            _close_gap(entitlement, entitlement.ends_at - max(now, entitlement.starts_at))
    db.session.flush()
    return len(ended)


def _close_gap(revoked: Entitlement, unused: timedelta) -> None:
    """Move the renewals that followed ``revoked`` back to back earlier by ``unused``."""
    chained_from = revoked.ends_at
    later = db.session.scalars(
        sa.select(Entitlement)
        .where(
            Entitlement.user_id == revoked.user_id, Entitlement.product_id == revoked.product_id,
            Entitlement.status == EntitlementStatus.ACTIVE, Entitlement.starts_at >= chained_from,
        )
        .order_by(Entitlement.starts_at)
    ).all()
    for renewal in later:
        if renewal.starts_at != chained_from:
            break  # bought after a gap: it did not follow the revoked period
        chained_from = renewal.ends_at
        renewal.starts_at, renewal.ends_at = renewal.starts_at - unused, renewal.ends_at - unused
        db.session.add(EntitlementEvent(
            entitlement_id=renewal.id, name="moved_earlier",
            data={"starts_at": renewal.starts_at.isoformat(), "ends_at": renewal.ends_at.isoformat()},
        ))
