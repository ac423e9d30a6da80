"""A member's referral data for the privacy page: the export, and the erasure."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import db
from plugins.referrals.coupons import mine as my_coupons
from plugins.referrals.models import Attribution, Figure, Mark, Payout, Reward, Share, Visit


def export(user) -> dict | None:
    """Who invited the member, whom they invited, their shares, rewards and payouts; None when
    there are none. Visits are counted per hashed device and name nobody, and devices and payment
    accounts are kept only as keyed hashes, so neither is given."""
    uid = user.id
    invited_by = db.session.scalar(sa.select(Attribution).where(Attribution.invitee_id == uid))
    data = {
        "invited_by": invited_by.referrer_id if invited_by else None,
        "invited": db.session.scalars(sa.select(Attribution.invitee_id).where(Attribution.referrer_id == uid)).all(),
        "shares": [{"item": s.item, "channel": s.channel, "day": s.day}
                   for s in db.session.scalars(sa.select(Share).where(Share.sharer_id == uid).order_by(Share.id))],
        "rewards": [{"kind": r.kind, "amount": r.amount, "reversed_amount": r.reversed_amount, "currency": r.currency, "status": r.status,
                     "level": r.level, "created_at": r.created_at}
                    for r in db.session.scalars(sa.select(Reward).where(Reward.referrer_id == uid).order_by(Reward.id))],
        "coupons": [{"code": c.code, "percent": c.value, "side": r.side, "used": c.used, "valid_until": c.valid_until}
                    for r, c in my_coupons(uid)],
        "payouts": [{"amount_minor": p.amount_minor, "currency": p.currency, "status": p.status,
                     "created_at": p.created_at}
                    for p in db.session.scalars(sa.select(Payout).where(Payout.user_id == uid).order_by(Payout.id))],
    }
    return data if data["invited_by"] or any(v for k, v in data.items() if k != "invited_by") else None


def erase(user) -> None:
    """Delete the member's shares, visits counted for them and the devices and payment accounts
    remembered of them, and the kept figures' rows that name them (the next sweep counts the
    rest anew); attributions and rewards go with the account (their rows cascade), while the
    ledger keeps its money history."""
    uid = user.id
    db.session.execute(sa.delete(Share).where(Share.sharer_id == uid))
    db.session.execute(sa.delete(Mark).where(Mark.user_id == uid))
    db.session.execute(sa.delete(Visit).where(Visit.referrer_id == uid))
    db.session.execute(sa.delete(Figure).where(Figure.part.in_(("roots", "leaders")), Figure.a == uid))
