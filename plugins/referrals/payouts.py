"""Paying referrers: a member asks for their available commission, admins approve, and commerce
pays it.

The request moves the money from ``referral:available:<id>`` to ``referral:requested:<id>``
under the member's row lock, so two requests cannot spend one balance. One admin approves a
payout up to ``second_approval_minor``; above it a second, different admin must approve too,
and nobody approves their own (RELIABILITY.md M13). The last approval moves the money to
``creator:<id>``, what the site owes the member: commerce's payouts page (``/admin/payouts``)
lists it there with a creator's earnings, and an admin pays it and records the payment
there, as for any creator (reference, one-time key, row lock, audit, the member's notice).
Rejecting a request gives the money back to the available balance. Every step is a
conditional UPDATE and a ledger transaction keyed by the request, so a double click changes
nothing.
"""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import CreatorPayout as CommercePayout
from kpay.api import User, creator_account, db, ledger_balance, post_ledger, record_audit
from plugins.referrals.attribution import settings
from plugins.referrals.models import Payout
from plugins.referrals.rewards import available_account

def requested_account(user_id: int) -> str:
    return f"referral:requested:{user_id}"


def available(user_id: int, currency: str) -> int:
    """The member's commission they may ask to be paid now (below zero: a debt)."""
    return -ledger_balance(available_account(user_id), currency)


class PayoutRefused(Exception):
    """Why this payout step cannot be taken; shown to the person who tried."""


def request_payout(member: User, currency: str, key: str) -> Payout:
    """The member's request for all their available ``currency`` commission, once per form
    ``key``. Raises ``PayoutRefused`` below the minimum. The caller commits."""
    earlier = db.session.scalar(sa.select(Payout).where(Payout.key == key))
    if earlier is not None:
        return earlier
    db.session.execute(sa.select(User.id).where(User.id == member.id).with_for_update())
    amount = available(member.id, currency)
    if amount <= 0 or amount < settings()["payout_minimum_minor"]:
        raise PayoutRefused("minimum")
    payout = Payout(key=key, user_id=member.id, amount_minor=amount, currency=currency)
    db.session.add(payout)
    db.session.flush()
    post_ledger(f"referral-payout-request:{payout.id}", "referral", currency,
                {available_account(member.id): amount, requested_account(member.id): -amount})
    return payout


def needs_two(payout: Payout) -> bool:
    """True when this payout needs a second admin's approval."""
    return payout.amount_minor > settings()["second_approval_minor"]


def approve(payout: Payout, admin: User) -> str:
    """Record ``admin``'s approval: ``"approved"``, or ``"first"`` when a second admin must
    still approve. Raises ``PayoutRefused`` for one's own payout, a second approval by the
    first approver, or a payout no longer waiting. The caller commits."""
    if admin.id == payout.user_id:
        raise PayoutRefused("own")
    if payout.status != "requested":
        raise PayoutRefused("decided")
    if needs_two(payout) and payout.first_approver_id is None:
        step = sa.update(Payout).where(Payout.id == payout.id, Payout.status == "requested",
                                       Payout.first_approver_id.is_(None)).values(first_approver_id=admin.id)
        result = "first"
    else:
        if payout.first_approver_id == admin.id:
            raise PayoutRefused("same admin")
        values = {"second_approver_id": admin.id} if needs_two(payout) else {"first_approver_id": admin.id}
        step = sa.update(Payout).where(Payout.id == payout.id, Payout.status == "requested").values(
            status="approved", **values)
        result = "approved"
    if not db.session.execute(step).rowcount:
        raise PayoutRefused("decided")
    db.session.refresh(payout)
    if result == "approved":  # owed now through commerce, whose payouts page pays it
        post_ledger(f"referral-payout-approved:{payout.id}", "commission", payout.currency,
                    {requested_account(payout.user_id): payout.amount_minor,
                     creator_account(payout.user_id): -payout.amount_minor}, memo="referral commission")
    record_audit(f"referrals.payout_{result}", actor=admin, target=payout, after={"amount_minor": payout.amount_minor})
    return result


def reject(payout: Payout, admin: User) -> bool:
    """Reject a payout still waiting for approval, giving the money back to the member's
    available balance; False when it was decided already. The caller commits."""
    moved = db.session.execute(
        sa.update(Payout).where(Payout.id == payout.id, Payout.status == "requested").values(status="rejected")
    ).rowcount
    if not moved:
        return False
    post_ledger(f"referral-payout-rejected:{payout.id}", "referral", payout.currency,
                {requested_account(payout.user_id): payout.amount_minor,
                 available_account(payout.user_id): -payout.amount_minor})
    db.session.refresh(payout)
    record_audit("referrals.payout_rejected", actor=admin, target=payout, after={"amount_minor": payout.amount_minor})
    return True


def paid_to(user_id: int, limit: int = 50) -> list[CommercePayout]:
    """The payouts commerce's payouts page recorded to the member, newest first."""
    return list(db.session.scalars(
        sa.select(CommercePayout).where(CommercePayout.creator_id == user_id).order_by(CommercePayout.id.desc())
        .limit(limit)))
