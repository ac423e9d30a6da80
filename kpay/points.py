"""Points: an append-only ledger, a balance per member kept beside it, and leaderboards
(sums over the ledger)."""

from __future__ import annotations

import functools

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import PointsBalance, PointsEntry, User
from kpay.transactions import _INSERTS, insert_once


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
    if entry_id is None:
        return False
    db.session.execute(_balance_statement(db.engine.dialect.name), {"user_id": user.id, "amount": amount})
    return True


@functools.cache
def _balance_statement(dialect: str):
    # One statement that adds in the database: concurrent awards never lose each other's points.
    table = PointsBalance.__table__
    insert = _INSERTS[dialect](table).values(user_id=sa.bindparam("user_id"), points=sa.bindparam("amount"))
    return insert.on_conflict_do_update(
        index_elements=[table.c.user_id], set_={"points": table.c.points + insert.excluded.points},
    )


def balance(user: User) -> int:
    """The member's points: their kept balance (the sum of their ledger entries), one row."""
    return db.session.scalar(sa.select(PointsBalance.points).where(PointsBalance.user_id == user.id)) or 0


def leaderboard(limit: int = 10, since=None) -> list[tuple[User, int]]:
    """The members with the most points (earned since ``since`` if given), highest first."""
    total = sa.func.sum(PointsEntry.amount).label("total")
    query = sa.select(PointsEntry.user_id, total).group_by(PointsEntry.user_id)
    if since is not None:
        query = query.where(PointsEntry.created_at >= since)
    rows = db.session.execute(query.order_by(total.desc(), PointsEntry.user_id).limit(limit)).all()
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([r[0] for r in rows])))}
    return [(users[user_id], int(points)) for user_id, points in rows]
