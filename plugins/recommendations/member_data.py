"""A member's recommendation data for the privacy page: what they dismissed and what the last
refresh knew they took; erasing clears it (the owners' plugins erase the signals themselves)."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import db
from plugins.recommendations.models import Dismissal, Entry, Reset, Taken
from plugins.recommendations.refresh import member_owner


def export(user) -> dict | None:
    """The member's "not interested" choices, taken items and current list, or None."""
    dismissed = db.session.execute(sa.select(Dismissal.key, Dismissal.created_at)
                                   .where(Dismissal.user_id == user.id).order_by(Dismissal.id)).all()
    taken = db.session.scalar(sa.select(Taken.keys).where(Taken.user_id == user.id)) or []
    listed = db.session.scalars(sa.select(Entry.key).where(Entry.owner == member_owner(user.id))
                                .order_by(Entry.position)).all()
    forgot = db.session.scalar(sa.select(Reset.at).where(Reset.user_id == user.id))
    if not (dismissed or taken or listed or forgot):
        return None
    return {"not_interested": [{"item": key, "at": at} for key, at in dismissed], "taken": taken,
            "recommended": listed, "forgot_before": forgot}


def erase(user) -> None:
    """Delete the member's dismissals, taken set, reset moment and lists."""
    db.session.execute(sa.delete(Dismissal).where(Dismissal.user_id == user.id))
    db.session.execute(sa.delete(Reset).where(Reset.user_id == user.id))
    db.session.execute(sa.delete(Taken).where(Taken.user_id == user.id))
    db.session.execute(sa.delete(Entry).where(Entry.owner.in_([member_owner(user.id),
                                                                member_owner(user.id, "course")])))
