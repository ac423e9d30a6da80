"""Rewards for an invitee's paid order: commission in the commerce ledger, points in the points
ledger; held for ``hold_days``, then available; reversed in
proportion to what is refunded of the order.

Accounts: ``referral:held:<id>`` and ``referral:available:<id>`` hold what the site owes a
referrer (credits, so their balances are negative); ``referral:expense`` is what referrals cost
the site. Each move is a conditional UPDATE of the reward's status followed by a ledger
transaction keyed by the reward, so a replayed or concurrent ``order.paid`` or refund, or a
release run twice, books once (RELIABILITY.md M10).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from kpay.api import Order, OrderStatus, User, award, db, emit, insert_once, post_ledger, site_now, utcnow
from plugins.referrals.attribution import paid_as, settings
from plugins.referrals.coupons import issue_for as issue_coupons
from plugins.referrals.models import Attribution, Reward

EXPENSE = "referral:expense"


def held_account(user_id: int) -> str:
    return f"referral:held:{user_id}"


def available_account(user_id: int) -> str:
    return f"referral:available:{user_id}"


def percent_for(product_id: int, level: int) -> int:
    """The commission percent on ``product_id`` at ``level``: a ``product_percents`` entry
    (``"<product id>=<percent>"``) for level 1, else the site's setting."""
    found = settings()
    if level == 2:
        return found["second_level_percent"]
    for item in found["product_percents"]:
        product, _sep, percent = item.partition("=")
        if product.strip() == str(product_id):
            return int(percent)
    return found["commission_percent"]


def grant_for_order(order_id: int, payer: str = "") -> list[Reward]:
    """The rewards this paid order earns its buyer's referrers, made once; an empty list for
    an order nobody referred, or one handled already. ``payer`` is the keyed hash of the
    payment account (``order.paid``'s ``payer``): when a referrer in the chain paid from it
    too, the sign-up is flagged and the rewards wait for review. The caller commits."""
    order = db.session.get(Order, order_id)
    if order is None or order.status != OrderStatus.PAID or order.amount_minor <= 0:
        return []
    attribution = db.session.scalar(sa.select(Attribution).where(Attribution.invitee_id == order.user_id))
    if attribution is None:
        return []
    chain = [(1, attribution.referrer_id)]
    if settings()["levels"] == 2 and attribution.grand_referrer_id:
        chain.append((2, attribution.grand_referrer_id))
    if not attribution.flagged and paid_as([referrer_id for _level, referrer_id in chain], payer):
        db.session.execute(sa.update(Attribution).where(Attribution.id == attribution.id, Attribution.flagged == "")
                           .values(flagged="same payment account as the referrer"))
        db.session.refresh(attribution)
    made = []
    for level, referrer_id in chain:
        amount = (order.amount_minor * percent_for(order.product_id, level) + 50) // 100
        if amount > 0:
            made.append(_new(f"referral:{order.id}:{level}:commission", "commission", referrer_id, order, level,
                             amount, order.currency, attribution.flagged))
    points = settings()["signup_points"]
    if points:  # the points for bringing a member, once per invitee, after their first paid order
        made.append(_new(f"referral:signup:{order.user_id}", "points", attribution.referrer_id, order, 1, points,
                         "", attribution.flagged))
    converted = db.session.execute(
        sa.update(Attribution).where(Attribution.invitee_id == order.user_id, Attribution.converted_at.is_(None))
        .values(converted_at=utcnow())
    ).rowcount
    if converted:
        issue_coupons(attribution)
        emit("referral.converted", user=db.session.get(User, attribution.referrer_id), subject=order,
             invitee_id=order.user_id, amount_minor=order.amount_minor, currency=order.currency)
    return [reward for reward in made if reward is not None]


def _new(key: str, kind: str, referrer_id: int, order: Order, level: int, amount: int, currency: str,
         flagged: str) -> Reward | None:
    evidence = flagged or _over_cap(referrer_id)
    reward_id = insert_once(
        Reward, ("key",), key=key, kind=kind, referrer_id=referrer_id, invitee_id=order.user_id, order_id=order.id,
        level=level, amount=amount, currency=currency, status="review" if evidence else "held", evidence=evidence,
        release_at=utcnow() + timedelta(days=settings()["hold_days"]), created_at=utcnow(),
    )
    if reward_id is None:
        return None
    reward = db.session.get(Reward, reward_id)
    if reward.status == "held":
        _book_grant(reward)
    return reward


def _over_cap(referrer_id: int) -> str:
    """Why a new commission for ``referrer_id`` should wait for review (a cap reached), or ""."""
    now = site_now()
    day = datetime.combine(now.date(), time(), now.tzinfo)
    month = day.replace(day=1)
    counts = db.session.execute(
        sa.select(sa.func.count().filter(Reward.created_at >= day), sa.func.count())
        .where(Reward.referrer_id == referrer_id, Reward.kind == "commission", Reward.created_at >= month)
    ).one()
    if counts[0] >= settings()["daily_cap"]:
        return "over the daily cap"
    if counts[1] >= settings()["monthly_cap"]:
        return "over the monthly cap"
    return ""


def _book_grant(reward: Reward) -> None:
    net = reward.amount - reward.reversed_amount  # less what a partial refund took while it waited for review
    if reward.kind == "commission":
        post_ledger(f"referral-grant:{reward.id}", "referral", reward.currency,
                    {EXPENSE: net, held_account(reward.referrer_id): -net},
                    order_id=reward.order_id, memo=f"commission, level {reward.level}")
    emit("referral.reward_granted", user=db.session.get(User, reward.referrer_id), subject=reward, kind=reward.kind,
         amount=net, currency=reward.currency, level=reward.level)


def _move(reward: Reward, before: tuple[str, ...], after: str) -> bool:
    """Move ``reward`` from one of ``before`` to ``after``; False when another call did."""
    moved = db.session.execute(
        sa.update(Reward).where(Reward.id == reward.id, Reward.status.in_(before)).values(status=after)
    ).rowcount
    db.session.refresh(reward)
    return bool(moved)


def release_due(now: datetime | None = None) -> int:
    """The sweep: held rewards whose refund window is over become available. Commits."""
    due = db.session.scalars(
        sa.select(Reward).where(Reward.status == "held", Reward.release_at <= (now or utcnow()))
        .order_by(Reward.id).limit(500)
    ).all()
    released = 0
    for reward in due:
        net = reward.amount - reward.reversed_amount  # a partial refund during the hold took the rest
        moved = db.session.execute(
            sa.update(Reward).where(Reward.id == reward.id, Reward.status == "held",
                                    Reward.reversed_amount == reward.reversed_amount).values(status="available")
        ).rowcount
        if moved:
            if reward.kind == "commission":
                post_ledger(f"referral-release:{reward.id}", "referral", reward.currency,
                            {held_account(reward.referrer_id): net,
                             available_account(reward.referrer_id): -net}, order_id=reward.order_id)
            else:
                award(db.session.get(User, reward.referrer_id), reward.amount, "referral", f"referral-release:{reward.id}")
            released += 1
    db.session.commit()
    return released


def reverse_for_order(order_id: int, reason: str) -> list[Reward]:
    """Take back from every reward of a refunded order the share of it refunded so far: a
    partial refund of a third reverses a third of each commission, a full one all of it (and
    the points). Held money goes back from the held account, released money from the available
    one (which may go below zero: a debt the next rewards pay), released points are taken back.
    The share is computed from the order's refunded total, and each step is a conditional
    UPDATE of the reward's status and reversed part, so a replayed or concurrent refund event
    books each part once. The caller commits; returns the rewards that changed."""
    order = db.session.get(Order, order_id)
    if order is None or order.amount_minor <= 0:
        return []
    full = order.refunded_minor >= order.amount_minor
    changed = []
    for reward in db.session.scalars(sa.select(Reward).where(Reward.order_id == order_id).order_by(Reward.id)):
        if reward.kind == "commission":
            target = _share(reward.amount, min(order.refunded_minor, order.amount_minor), order.amount_minor)
        else:
            target = reward.amount if full else 0
        was, before = reward.status, reward.reversed_amount
        if was not in ("review", "held", "available") or target <= before:
            continue
        moved = db.session.execute(
            sa.update(Reward).where(Reward.id == reward.id, Reward.status == was, Reward.reversed_amount == before)
            .values(status="reversed" if target >= reward.amount else was, reversed_amount=target)
        ).rowcount
        db.session.refresh(reward)
        if not moved:
            continue
        part = target - before
        if reward.kind == "commission" and was != "review":
            account = held_account if was == "held" else available_account
            post_ledger(f"referral-reverse:{reward.id}:{target}", "referral", reward.currency,
                        {account(reward.referrer_id): part, EXPENSE: -part}, order_id=order_id, memo=reason[:200])
        elif reward.kind == "points" and was == "available":
            award(db.session.get(User, reward.referrer_id), -part, "referral reversed", f"referral-reverse:{reward.id}")
        if was != "review":
            emit("referral.reward_reversed", user=db.session.get(User, reward.referrer_id), subject=reward,
                 kind=reward.kind, amount=part, currency=reward.currency, reason=reason[:200])
        changed.append(reward)
    if full:
        _unconvert_if_all_refunded(order.user_id)
    return changed


def _unconvert_if_all_refunded(invitee_id: int) -> None:
    """An invitee whose every paid order is refunded in full no longer counts as converted
    (figures of paid conversions); a later paid order converts them again."""
    kept = sa.select(Order.id).where(Order.user_id == invitee_id, Order.status == OrderStatus.PAID,
                                     Order.amount_minor > 0, Order.refunded_minor < Order.amount_minor)
    db.session.execute(sa.update(Attribution).where(Attribution.invitee_id == invitee_id, ~sa.exists(kept))
                       .values(converted_at=None))


def _share(total: int, part: int, whole: int) -> int:
    """``total`` × ``part`` / ``whole``, rounded half up: the same share for the same totals."""
    return (total * part + whole // 2) // whole


def decide(reward: Reward, approve: bool) -> bool:
    """An admin's decision on a reward waiting for review; False when it was decided already.
    Approved, it is held for ``hold_days`` from now. The caller commits."""
    if not _move(reward, ("review",), "held" if approve else "rejected"):
        return False
    if approve:
        reward.release_at = utcnow() + timedelta(days=settings()["hold_days"])
        _book_grant(reward)
    return True
