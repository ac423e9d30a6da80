"""Who brought whom: visits through a member's link, shares, and the sign-up attribution.

Attribution is fixed once, when the invitee signs up, from the signed last-touch cookie; a
sign-up that looks like a self-referral (one mailbox, or a browser the referrer signed up,
logged in or shared from) is kept with its evidence in ``flagged``, and its rewards wait for
an admin's review; so does one whose first paid order came from a payment account the
referrer (or, at the second level, their inviter) paid from.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from kpay.api import User, db, emit, insert_once, today, utcnow
from plugins.referrals import codes
from plugins.referrals.models import Attribution, Mark, Share, Visit


def settings() -> dict:
    """The plugin's settings (``[plugins.referrals]`` in kpay.toml)."""
    return current_app.config["KPAY"]["plugins"]["referrals"]


def record_visit(referrer_id: int, item: str, channel: str, device: str) -> bool:
    """Count a visit through ``referrer_id``'s link once per device, item and day; True when
    it was new (and ``referral.visited`` emitted). The caller commits."""
    new = insert_once(
        Visit, ("referrer_id", "item", "visitor", "day"), referrer_id=referrer_id, item=item[:200],
        channel=channel, visitor=codes.device_hash(device), day=today().isoformat(),
    )
    if new is None:
        return False
    emit("referral.visited", user=db.session.get(User, referrer_id), item=item[:200], channel=channel)
    return True


def record_share(sharer: User, item: str, channel: str, device: str) -> bool:
    """Count a member's share of ``item`` through ``channel`` once a day (and emit
    ``referral.shared``); True when new. The caller commits."""
    new = insert_once(
        Share, ("sharer_id", "item", "channel", "day"), sharer_id=sharer.id, item=item[:200], channel=channel,
        device=codes.device_hash(device), day=today().isoformat(),
    ) is not None
    if new:
        emit("referral.shared", user=sharer, item=item[:200], channel=channel)
    return new


def attribute(invitee: User, touch: dict, device: str) -> Attribution | None:
    """Fix who invited ``invitee`` from the last ``touch``; None when the referrer is gone,
    is the invitee, or the invitee was attributed already. The caller commits."""
    referrer = db.session.get(User, touch["r"])
    if referrer is None or referrer.id == invitee.id or referrer.status != "active":
        return None
    above = _of(referrer.id)
    evidence = self_referral_evidence(referrer, invitee, device)
    made = insert_once(
        Attribution, ("invitee_id",), invitee_id=invitee.id, referrer_id=referrer.id,
        grand_referrer_id=above.referrer_id if above else None, root_id=above.root_id if above else referrer.id,
        depth=(above.depth + 1) if above else 1, channel=str(touch.get("c", "link"))[:20],
        item=str(touch.get("i", ""))[:200], flagged=evidence,
    )
    if made is None:
        return None
    emit("referral.signed_up", user=referrer, subject=invitee, invitee_id=invitee.id, flagged=bool(evidence))
    return _of(invitee.id)


def invited(invitee_id: int) -> bool:
    """True when the member's inviter is fixed already."""
    return db.session.scalar(sa.select(Attribution.id).where(Attribution.invitee_id == invitee_id)) is not None


def self_referral_evidence(referrer: User, invitee: User, device: str) -> str:
    """Why this sign-up looks like the referrer inviting themself, or ""."""
    if codes.same_mailbox(referrer.email, invitee.email):
        return "same mailbox"
    if device:
        seen = codes.device_hash(device)
        if db.session.scalar(sa.union_all(
            sa.select(Mark.id).where(Mark.user_id == referrer.id, Mark.kind == "device", Mark.mark == seen),
            sa.select(Share.id).where(Share.sharer_id == referrer.id, Share.device == seen),
        ).limit(1)):
            return "same device as the referrer"
    return ""


def remember(user_id: int, kind: str, mark: str) -> None:
    """Keep that ``user_id`` used a device or payment account (``mark``: a keyed hash), once.
    The caller commits."""
    if mark:
        insert_once(Mark, ("user_id", "kind", "mark"), user_id=user_id, kind=kind, mark=mark[:32], created_at=utcnow())


def paid_as(user_ids: list[int], payer: str) -> bool:
    """True when one of ``user_ids`` paid from the payment account ``payer`` (a keyed hash)."""
    return bool(payer) and db.session.scalar(
        sa.select(Mark.id).where(Mark.user_id.in_(user_ids), Mark.kind == "payer", Mark.mark == payer).limit(1)
    ) is not None


def _of(invitee_id: int) -> Attribution | None:
    return db.session.scalar(sa.select(Attribution).where(Attribution.invitee_id == invitee_id))
