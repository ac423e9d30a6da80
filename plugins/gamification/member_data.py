"""A member's gamification data for the privacy page: the export, and the erasure.

Their points ledger entries are the core's (exported and kept by it); here: badges, levels,
check-ins (and their photos) and the small tables the sweeps fill."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import db, forget_upload
from plugins.gamification.checkins import PHOTOS
from plugins.gamification.models import BadgeAward, BoardRow, CheckIn, DailyUse, Engagement, LevelReached, Standing


def export(user) -> dict | None:
    """The member's badges, levels reached and check-ins, or None when there are none."""
    uid = user.id
    data = {
        "badges": [{"badge": b.badge, "earned_at": b.earned_at}
                   for b in db.session.scalars(sa.select(BadgeAward).where(BadgeAward.user_id == uid))],
        "levels_reached": [{"level": r.level, "reached_at": r.reached_at}
                           for r in db.session.scalars(sa.select(LevelReached).where(LevelReached.user_id == uid))],
        "checkins": [{"challenge_id": c.challenge_id, "day": c.day, "note": c.note, "made_up": c.made_up,
                      "photo": c.photo}
                     for c in db.session.scalars(sa.select(CheckIn).where(CheckIn.user_id == uid).order_by(CheckIn.id))],
    }
    return data if any(data.values()) else None


def erase(user) -> None:
    """Delete every gamification row of the member, except the sums and grant keys copied from
    their ledger entries (``gamification_point_days``, ``_point_totals``, ``_grants``), which
    the core keeps: the boards must keep agreeing with the ledger, and a reversal find its grant."""
    for photo in db.session.scalars(sa.select(CheckIn.photo).where(CheckIn.user_id == user.id, CheckIn.photo.is_not(None))):
        forget_upload(PHOTOS, photo)
    for model in (BadgeAward, LevelReached, CheckIn, DailyUse, Standing, Engagement, BoardRow):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))
