"""Points: an append-only ledger; balances and leaderboards are sums over it."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import PointsEntry, User
from kpay.transactions import insert_once


def award(user: User, amount: int, reason: str, key: str) -> bool:
    """Add ``amount`` points (negative to take) for ``reason``, once per ``key``.

    Returns False, changing nothing, when an entry with ``key`` exists: a replayed webhook,
    double click or retried job grants once. Part of the caller's transaction.
    """
    if not isinstance(amount, int) or amount == 0:
        raise ValueError("amount must be a non-zero integer")
    entry_id = insert_once(
        PointsEntry, ("key",), user_id=user.id, amount=amount, reason=reason, key=key
    )
    return entry_id is not None


def balance(user: User) -> int:
    """The member's points: the sum of their ledger entries."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PointsEntry.amount), 0)).where(
            PointsEntry.user_id == user.id
        )
    )
    return int(total)


def leaderboard(limit: int = 10, since=None) -> list[tuple[User, int]]:
    """The members with the most points (earned since ``since`` if given), highest first."""
    total = sa.func.sum(PointsEntry.amount).label("total")
    query = sa.select(PointsEntry.user_id, total).group_by(PointsEntry.user_id)
    if since is not None:
        query = query.where(PointsEntry.created_at >= since)
    rows = db.session.execute(query.order_by(total.desc(), PointsEntry.user_id).limit(limit)).all()
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([r[0] for r in rows])))}
    return [(users[user_id], int(points)) for user_id, points in rows]
