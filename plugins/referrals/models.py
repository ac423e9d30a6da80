"""The referrals' tables. They are small and plain on purpose: an analytics plugin may read them.

- ``referrals_attributions``: one row per invited member, fixed at sign-up: who invited them
  (``referrer_id``), the inviter's own inviter (``grand_referrer_id``, for the second level),
  the tree's ``root_id`` and ``depth`` (1 = invited by a member nobody invited), the ``channel``
  and ``item`` (path) of the link, and ``flagged`` evidence when the sign-up looked like a
  self-referral; ``converted_at`` once the invitee paid (cleared while every paid order of
  theirs is refunded in full).
- ``referrals_visits``: one row per visitor (a random device id, hashed; never an IP address)
  per referrer per item per day that arrived through a member's link.
- ``referrals_shares``: one row per member per item per channel per day that they shared.
- ``referrals_rewards``: one row per reward (commission or points) per invitee order and
  level; ``status`` moves held -> available, or to reversed, or waits in ``review``. The money
  itself is in the commerce ledger (accounts ``referral:held:<id>`` and
  ``referral:available:<id>``), the points in the points ledger.
- ``referrals_coupons``: the commerce coupons issued to an inviter and their invitee when the
  invitee first paid (``side`` is ``inviter`` or ``invitee``); one per invitee and side.
- ``referrals_payouts``: a member's request to be paid their available commission; approved
  by one admin, or two when over ``second_approval_minor``, which hands the money to
  commerce's payouts (an admin pays it and records it there).
- ``referrals_marks``: keyed hashes of what identifies a member besides their account: the
  device cookie of the browsers they signed up or logged in with, and the payment accounts
  they paid from; compared to catch self-referral.
- ``referrals_figures``: the operator's figures as the last sweep computed them (``stats.sweep``),
  one row per row of the figures' grouped parts; ``period`` is 0 for the whole history (cohorts,
  trees), else the days of the period (channels, leaderboard).
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.api import UTCDateTime, db, utcnow

REWARD_STATES = ("review", "held", "available", "reversed", "rejected")
PAYOUT_STATES = ("requested", "approved", "rejected")
MARK_KINDS = ("device", "payer")


class Attribution(db.Model):
    """Who invited a member, fixed when they signed up."""

    __tablename__ = "referrals_attributions"
    __table_args__ = (sa.Index("ix_referrals_attributions_referrer", "referrer_id", "signed_up_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    referrer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    grand_referrer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    root_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    depth: Mapped[int] = mapped_column(default=1)
    channel: Mapped[str] = mapped_column(sa.String(20), default="link")
    item: Mapped[str] = mapped_column(sa.String(200), default="")
    flagged: Mapped[str] = mapped_column(sa.String(200), default="")  # why it looks like self-referral
    signed_up_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    converted_at = mapped_column(UTCDateTime)  # a paid order that earned a reward; None after full refunds


class Visit(db.Model):
    """A visitor who came through a member's link, once per item per day."""

    __tablename__ = "referrals_visits"
    __table_args__ = (
        sa.UniqueConstraint("referrer_id", "item", "visitor", "day"),
        sa.Index("ix_referrals_visits_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referrer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(sa.String(200))
    channel: Mapped[str] = mapped_column(sa.String(20), default="link")
    visitor: Mapped[str] = mapped_column(sa.String(32))  # a hash of the device cookie
    day: Mapped[str] = mapped_column(sa.String(10))  # YYYY-MM-DD in the site's time zone


class Share(db.Model):
    """A member shared an item through a channel, once per day."""

    __tablename__ = "referrals_shares"
    __table_args__ = (
        sa.UniqueConstraint("sharer_id", "item", "channel", "day"),
        sa.Index("ix_referrals_shares_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sharer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(sa.String(200))
    channel: Mapped[str] = mapped_column(sa.String(20))
    device: Mapped[str] = mapped_column(sa.String(32), default="", index=True)  # hash of the device cookie
    day: Mapped[str] = mapped_column(sa.String(10))


class Reward(db.Model):
    """A commission or points for an invitee's paid order, at one level of the chain."""

    __tablename__ = "referrals_rewards"
    __table_args__ = (
        sa.Index("ix_referrals_rewards_referrer", "referrer_id", "id"),
        sa.Index("ix_referrals_rewards_due", "status", "release_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)  # referral:<order>:<level>:<kind>
    kind: Mapped[str] = mapped_column(sa.String(10))  # commission or points
    referrer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    invitee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    level: Mapped[int] = mapped_column(default=1)
    amount: Mapped[int] = mapped_column(sa.BigInteger)  # minor units, or points
    # the part taken back by partial refunds so far (all of ``amount`` once ``reversed``)
    reversed_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    currency: Mapped[str] = mapped_column(sa.String(3), default="")
    status: Mapped[str] = mapped_column(sa.String(10))
    evidence: Mapped[str] = mapped_column(sa.String(300), default="")
    release_at = mapped_column(UTCDateTime, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Payout(db.Model):
    """A member's request to be paid their available commission."""

    __tablename__ = "referrals_payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the request form's nonce
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(10), default="requested")
    first_approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    second_approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ReferralCoupon(db.Model):
    """A commerce coupon a member got through a referral: as the ``inviter`` of ``invitee_id``
    or as that invitee."""

    __tablename__ = "referrals_coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(sa.ForeignKey("coupons.id"), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invitee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    side: Mapped[str] = mapped_column(sa.String(10))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Mark(db.Model):
    """Something that identifies a member besides their account, as a keyed hash: a ``device``
    (the device cookie) or a ``payer`` (a payment account, from ``order.paid``)."""

    __tablename__ = "referrals_marks"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", "mark"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    mark: Mapped[str] = mapped_column(sa.String(32))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Figure(db.Model):
    """A row of the operator's figures as the last sweep computed them: ``part`` names the
    grouped part (``stats._part``), ``period`` its days (0: the whole history)."""

    __tablename__ = "referrals_figures"
    __table_args__ = (sa.Index("ix_referrals_figures_period", "period", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[int] = mapped_column(sa.Integer)
    part: Mapped[str] = mapped_column(sa.String(20))
    label: Mapped[str | None] = mapped_column(sa.String(80))
    name: Mapped[str | None] = mapped_column(sa.String(80))
    a: Mapped[int | None] = mapped_column(sa.Integer)
    b: Mapped[int | None] = mapped_column(sa.Integer)
    c: Mapped[int | None] = mapped_column(sa.Integer)
    d: Mapped[int | None] = mapped_column(sa.Integer)
    average: Mapped[float | None] = mapped_column(sa.Float)
    swept_at = mapped_column(UTCDateTime, nullable=False)
