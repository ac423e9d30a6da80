"""Commerce: products, orders, payments, entitlements, coupons, refunds and the money ledger.

Amounts are integer minor units (fen, cents) in the product's currency. Payments, refunds,
entitlement events and ledger rows are only ever added; an order's and an entitlement's
current state is kept on their rows, and every change of it is recorded as an event.
"""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.extensions import db
from kpay.models.base import EnumText, UTCDateTime, append_only, utcnow


class OrderStatus(StrEnum):
    """Where an order is in its life; only ``kpay.commerce.orders`` moves it."""

    PENDING = "pending"
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # a manual payment waits for a manager
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class EntitlementStatus(StrEnum):
    """Whether an entitlement counts; a full refund revokes it."""

    ACTIVE = "active"
    REVOKED = "revoked"


def one_of(column: str, values: type[StrEnum]) -> sa.CheckConstraint:
    """A CHECK constraint (``<column>_known``) holding ``column`` to the values of an enum."""
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known")


class Product(db.Model):
    """Something sold: once (``one_time``) or for ``period_days`` (``membership``).

    Which resources it unlocks is answered by the plugins that own them
    (``kpay_resource_products``); a product named by several resources is a bundle.
    """

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default="one_time")
    period_days: Mapped[int | None]
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    active: Mapped[bool] = mapped_column(default=True)
    cover: Mapped[str | None] = mapped_column(sa.String(64))  # a name in instance/covers/ (kpay.covers)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("price_minor >= 0", name="price_not_negative"),
        sa.CheckConstraint("kind = 'one_time' OR period_days > 0", name="membership_has_period"),
    )


class Coupon(db.Model):
    """A code taking ``value`` percent or minor units off; ``used`` counts reservations,
    raised only by a conditional UPDATE so ``max_redemptions`` holds under concurrency."""

    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    value: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"))
    valid_from = mapped_column(UTCDateTime)
    valid_until = mapped_column(UTCDateTime)
    max_redemptions: Mapped[int | None]
    per_member: Mapped[int] = mapped_column(default=1)
    used: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("value > 0", name="value_positive"),
        sa.CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_at_most_100"),
        sa.CheckConstraint("used >= 0", name="used_not_negative"),
        sa.CheckConstraint("per_member >= 1", name="per_member_positive"),
    )


class Order(db.Model):
    """One attempt to buy a product; the server computed ``amount_minor``.

    ``nonce`` is the one-time token of the form that made it, so a double click or a replay
    finds this order instead of making another.
    """

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    product_name: Mapped[str] = mapped_column(sa.String(120), default="")  # as it was sold
    coupon_id: Mapped[int | None] = mapped_column(sa.ForeignKey("coupons.id"))
    provider: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[OrderStatus] = mapped_column(EnumText(OrderStatus, 30), default=OrderStatus.PENDING)
    list_price_minor: Mapped[int]
    discount_minor: Mapped[int] = mapped_column(default=0)
    amount_minor: Mapped[int]
    refunded_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))
    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(200))
    member_reference: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    paid_at = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_orders_status_expires_at", "status", "expires_at"),
        sa.Index("ix_orders_user_id_id", "user_id", "id"),  # My purchases, newest first by keyset
        sa.Index("ix_orders_status_id", "status", "id"),  # the admin console's orders of one status
        sa.CheckConstraint("amount_minor >= 0 AND amount_minor <= list_price_minor", name="amount_in_bounds"),
        sa.CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refund_in_bounds"),
        one_of("status", OrderStatus),
    )


class OrderEvent(db.Model):
    """A change in an order's life: created, paid, expired, refunded, ... (its history)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CouponRedemption(db.Model):
    """A member's ``n``-th use of a coupon (1 .. ``per_member``): the unique key holds the
    per-member cap under concurrency. Deleted when the order expires unpaid."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (sa.UniqueConstraint("coupon_id", "user_id", "n"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(sa.ForeignKey("coupons.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    n: Mapped[int]
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Payment(db.Model):
    """Money received for an order, once per provider reference."""

    __tablename__ = "payments"
    __table_args__ = (sa.UniqueConstraint("provider", "provider_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), unique=True)
    provider: Mapped[str] = mapped_column(sa.String(40))
    provider_ref: Mapped[str] = mapped_column(sa.String(200))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Refund(db.Model):
    """Money given back on an order, once per ``key`` (an admin's form nonce, a provider's
    refund id)."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    amount_minor: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(200))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        # One row per provider refund, whichever path (webhook, admin) records it first.
        sa.Index("ix_refunds_provider_ref", "provider_ref", unique=True),
    )


class Entitlement(db.Model):
    """A member's right to a product, from one source (an order): always from ``starts_at``,
    until ``ends_at`` for a membership. ``status`` ``revoked`` ends it at once (a full refund)."""

    __tablename__ = "entitlements"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "product_id", "source"),
        sa.Index("ix_entitlements_user_id_product_id", "user_id", "product_id"),
        one_of("status", EntitlementStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    source: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[EntitlementStatus] = mapped_column(EnumText(EntitlementStatus, 20), default=EntitlementStatus.ACTIVE)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class EntitlementEvent(db.Model):
    """A transition of an entitlement: granted, extended, revoked (its full history)."""

    __tablename__ = "entitlement_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    entitlement_id: Mapped[int] = mapped_column(sa.ForeignKey("entitlements.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class LedgerTransaction(db.Model):
    """One movement of money, recorded once per ``key``; its entries sum to zero."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    memo: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class LedgerEntry(db.Model):
    """One side of a transaction: ``amount_minor`` into (positive) or out of ``account``.

    ``balance_after_minor`` is the account's balance in ``currency`` once this entry is booked
    (a running total), and ``created_at`` when it was booked: an account's entries are booked
    one at a time (its ``LedgerBalance`` row is locked), so in ``(created_at, id)`` order each
    running total is the one before plus the amount. A balance at any moment is one index
    lookup, and a month's entries of one account one index range.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.Index("ix_ledger_entries_account_currency_created_at", "account", "currency", "created_at", "id"),
        sa.Index("ix_ledger_entries_account_created_at", "account", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(sa.String(80))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    balance_after_minor: Mapped[int]
    created_at = mapped_column(UTCDateTime, nullable=False)


class LedgerBalance(db.Model):
    """An account's balance in one currency now: the running total of its entries, moved by
    one atomic upsert in the transaction that books each entry (which also holds the row's
    lock until it commits, so the account's entries are booked in turn)."""

    __tablename__ = "ledger_balances"

    account: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    balance_minor: Mapped[int]


class LedgerSlot(db.Model):
    """A creator account's entries of one kind summed per quarter hour (``quarter``: quarter
    hours since 1970 in UTC), with the platform fee their transactions moved: a month's
    statement reads at most 2,976 of these per kind instead of every entry, in any time zone
    (all are whole quarter hours from UTC). Raised by an upsert in the transaction that books
    the entries."""

    __tablename__ = "ledger_slots"

    account: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    quarter: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # a month is one key range
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    amount_minor: Mapped[int]
    fee_minor: Mapped[int]
    entries: Mapped[int]


class LedgerDay(db.Model):
    """A creator account's entries of one kind summed per day in time zone ``zone`` (the
    site's, when booked), with the platform fee their transactions moved: a month's statement
    reads at most 31 of these per currency and kind. Raised by an upsert beside the slots."""

    __tablename__ = "ledger_days"

    account: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    zone: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # a month is one key range
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    amount_minor: Mapped[int]
    fee_minor: Mapped[int]
    entries: Mapped[int]


class LedgerDayZone(db.Model):
    """The time zone whose ``ledger_days`` hold every entry (at most one row): a booking in
    another zone removes it, and ``kpay commerce fill-days`` or the clock's ``commerce.keep_days``
    sweep refills the days and sets it."""

    __tablename__ = "ledger_day_zones"

    zone: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class Payout(db.Model):
    """Money an admin paid a creator outside KPay (a bank transfer), recorded once per ``key``."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3))
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (sa.CheckConstraint("amount_minor > 0", name="amount_positive"),)


class ProviderEvent(db.Model):
    """An event a payment provider sent (a webhook), recorded once by its id, in the same
    transaction as its effects."""

    __tablename__ = "provider_events"
    __table_args__ = (sa.UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(40))
    event_id: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(100))
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


for _ledger in (
    Payment, Refund, Payout, EntitlementEvent, OrderEvent, LedgerTransaction, LedgerEntry, ProviderEvent,
):
    append_only(_ledger, in_database=True)
