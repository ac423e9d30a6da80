"""Double-sided coupons: when an invited member first pays, commerce issues one coupon to the
inviter and one to the invitee (``inviter_coupon_percent`` / ``invitee_coupon_percent``; 0 turns
a side off), each for one use within ``coupon_days``, made by the site's first admin so it
applies to any product. Each is made once per invitee and side: the code is derived from them
and both the coupon and its ``referrals_coupons`` row are inserted once, so a replayed or
concurrent ``order.paid`` makes nothing more (RELIABILITY.md M10).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from kpay.api import Coupon, User, db, insert_once, issue_coupon, utcnow
from plugins.referrals.attribution import settings
from plugins.referrals.models import Attribution, ReferralCoupon

SIDES = ("inviter", "invitee")


def code_for(side: str, invitee_id: int) -> str:
    """The coupon code of ``side`` for ``invitee_id``: fixed, and not guessable without the
    site's secret."""
    digest = hmac.new(current_app.secret_key.encode(), f"referral-coupon:{side}:{invitee_id}".encode(),
                      hashlib.sha256).hexdigest()
    return f"{'RI' if side == 'inviter' else 'RW'}{int(digest[:15], 16):X}"[:14]


def issue_for(attribution: Attribution) -> list[ReferralCoupon]:
    """The coupons a newly converted invitee earns both sides; none for a flagged
    (self-referral-looking) sign-up or when the site turned them off. The caller commits."""
    found = settings()
    percents = {"inviter": found["inviter_coupon_percent"], "invitee": found["invitee_coupon_percent"]}
    if attribution.flagged or not any(percents.values()):
        return []
    issuer = db.session.scalar(sa.select(User).where(User.role == "admin").order_by(User.id).limit(1))
    if issuer is None:
        return []
    until = utcnow() + timedelta(days=found["coupon_days"])
    owners = {"inviter": attribution.referrer_id, "invitee": attribution.invitee_id}
    made = []
    for side in SIDES:
        if not percents[side]:
            continue
        coupon = issue_coupon(code_for(side, attribution.invitee_id), issuer, "percent", percents[side],
                              valid_until=until)
        if coupon is None:  # made already by an earlier handling of this conversion
            continue
        row_id = insert_once(ReferralCoupon, ("coupon_id",), coupon_id=coupon.id, user_id=owners[side],
                             invitee_id=attribution.invitee_id, side=side, created_at=utcnow())
        if row_id is not None:
            made.append(db.session.get(ReferralCoupon, row_id))
    return made


def mine(user_id: int) -> list[tuple[ReferralCoupon, Coupon]]:
    """A member's referral coupons with their commerce state, newest first (one statement)."""
    return [tuple(row) for row in db.session.execute(  # type: ignore[misc]
        sa.select(ReferralCoupon, Coupon).join(Coupon, Coupon.id == ReferralCoupon.coupon_id)
        .where(ReferralCoupon.user_id == user_id).order_by(ReferralCoupon.id.desc()).limit(20)
    )]
