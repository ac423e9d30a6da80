"""Orders: checkout, payment, expiry and refunds, each safe to repeat. This module is the
order's state machine: providers move an order only through its transitions (``mark_paid``,
``mark_awaiting_confirmation``, ``attach_provider_session``, ``keep_open_until``, ``cancel``,
``refund``) and never write an order themselves.

``checkout`` computes the amount on the server and is keyed by the form's one-time nonce (a
double click finds the first order); it refuses a one-time product the member owns.
``mark_paid`` is keyed by the provider's reference and moves the order to ``paid`` with a
conditional UPDATE, so a replayed or concurrent callback grants once; under the buyer's row
lock it asks again whether they own the product (two tabs, two orders), and a payment for an
owned one grants nothing and is refunded by a job (``refunds.refund_second_purchase``).
Every effect (payment, entitlement, ledger, history) is written in the caller's transaction;
e-mails and events follow its commit.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kpay import events, jobs
from kpay.commerce import coupons, entitlements, ledger
from kpay.extensions import db
from kpay.mail import send_email
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import Entitlement, Order, OrderEvent, OrderStatus, Payment, Product, Refund
from kpay.transactions import insert_once, rows_changed

log = logging.getLogger("kpay.commerce")
OPEN = (OrderStatus.PENDING, OrderStatus.AWAITING_CONFIRMATION)  # not paid yet, and still payable
SETTLED = (OrderStatus.PAID, OrderStatus.REFUNDED)  # paid, perhaps refunded in part or in full


class CheckoutError(Exception):
    """Why checkout cannot go on; ``field`` names the form field it belongs beside."""

    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field = field
        self.message = message


class PaymentMismatch(Exception):
    """A provider reported a payment whose amount or currency is not the order's."""


def record(order: Order, name: str, actor: User | None = None, **data) -> None:
    """Add ``name`` to the order's history."""
    db.session.add(OrderEvent(order_id=order.id, name=name, actor_id=getattr(actor, "id", None), data=data))


def checkout(user: User, product: Product, provider_name: str, nonce: str, coupon_code: str = "") -> Order:
    """The order for this checkout form (``nonce``): the one already made with it, or a new
    one priced here, to be paid through ``provider_name`` (the form offers only enabled
    providers). Raises ``CheckoutError``; the caller rolls back then, and commits otherwise.
    A free order (a full discount) is paid at once."""
    existing = db.session.scalar(sa.select(Order).where(Order.nonce == nonce))
    if existing is not None:
        if existing.user_id != user.id:
            raise CheckoutError("nonce", _l("This form has expired. Please try again."))
        return existing
    if not product.active:
        raise CheckoutError("product", _l("This product is not for sale."))
    if owns(user.id, product):
        raise CheckoutError("product", _l("You already own this. You will find it in your purchases."))
    now = utcnow()
    coupon = None
    if coupon_code.strip():
        try:
            coupon = coupons.find(coupon_code, product, now)
        except coupons.CouponError as error:
            raise CheckoutError("coupon", error.args[0]) from None
    off = coupons.discount(coupon, product.price_minor)
    order = Order(
        user_id=user.id, product_id=product.id, product_name=product.name, coupon_id=getattr(coupon, "id", None),
        provider=provider_name, status=OrderStatus.PENDING, list_price_minor=product.price_minor,
        discount_minor=off, amount_minor=product.price_minor - off, currency=product.currency,
        nonce=nonce, created_at=now,
        expires_at=now + timedelta(minutes=current_app.config["KPAY"]["commerce"]["order_minutes"]),
    )
    try:
        with db.session.begin_nested():
            db.session.add(order)
    except sa.exc.IntegrityError:  # the same form posted twice at once: the first one won
        db.session.expire_all()
        return checkout(user, product, provider_name, nonce, coupon_code)
    if coupon is not None:
        try:
            coupons.reserve(coupon, user, order)
        except coupons.CouponError as error:
            raise CheckoutError("coupon", error.args[0]) from None
    record(order, "created", user, amount_minor=order.amount_minor, coupon=getattr(coupon, "code", None))
    if order.amount_minor == 0:
        mark_paid(order.id, "free", f"free:{order.id}", 0, order.currency)
    return order


def owns(user_id: int, product: Product) -> bool:
    """True when ``product`` is sold once and the member holds it already."""
    return product.kind == "one_time" and entitlements.has_active(user_id, [product.id])


def mark_paid(order_id: int, provider_name: str, provider_ref: str, amount_minor: int, currency: str,
              payer: str = "") -> bool:
    """Record that ``provider_ref`` paid order ``order_id``: payment, entitlement, ledger,
    history, receipt. ``payer`` is who paid as the provider knows them (a Stripe customer,
    the reference of a transfer), if it says: the ``order.paid`` event carries only a keyed
    hash of it (``payer_mark``), so a plugin can tell two members who pay from one account.
    Returns False when it was already recorded (a replay, or a second callback racing this
    one). Raises ``PaymentMismatch`` when the money is not the order's. The caller commits.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise PaymentMismatch(f"no order {order_id}")
    if (amount_minor, currency) != (order.amount_minor, order.currency):
        raise PaymentMismatch(
            f"order {order.id} costs {order.amount_minor} {order.currency}; "
            f"{provider_name} reported {amount_minor} {currency}"
        )
    now = utcnow()
    paid = {"status": OrderStatus.PAID, "paid_at": now, "provider": provider_name, "provider_ref": provider_ref}
    moved = rows_changed(
        sa.update(Order).where(Order.id == order.id, Order.status.in_(OPEN)).values(**paid)
    )
    if not moved:
        # Paid after all though it expired or was cancelled (a provider's page outlived the
        # order): the money is in, and its coupon use counts again. A separate UPDATE, so an
        # expiry committed meanwhile is seen here.
        late = db.session.scalars(
            sa.update(Order).where(Order.id == order.id, Order.status.in_((OrderStatus.EXPIRED, OrderStatus.CANCELLED)))
            .values(**paid).returning(Order.id)
        ).all()
        if not late:
            return False
        coupons.retake(order)
        record(order, "paid_late")
    db.session.refresh(order)
    insert_once(
        Payment, ("provider", "provider_ref"), order_id=order.id, provider=provider_name,
        provider_ref=provider_ref, amount_minor=amount_minor, currency=currency, created_at=now,
    )
    product = db.session.get(Product, order.product_id)
    # One buyer's payments one at a time: two tabs' orders for one product cannot both grant.
    db.session.execute(sa.select(User.id).where(User.id == order.user_id).with_for_update())
    second = owns(order.user_id, product) and not db.session.scalar(
        sa.select(sa.func.count()).select_from(Entitlement).where(Entitlement.source == f"order:{order.id}")
    )
    creator = db.session.get(User, product.creator_id)
    fee = ledger.fee_of(amount_minor, ledger.fee_percent(creator))
    ledger.post(
        f"payment:{order.id}", "payment", currency,
        {
            ledger.provider_account(provider_name): amount_minor,
            ledger.creator_account(creator.id): -(amount_minor - fee),
            ledger.FEES: -fee,
        },
        order_id=order.id, memo=product.name,
    )
    record(order, "paid", provider=provider_name, provider_ref=provider_ref, fee_minor=fee)
    if second:
        record(order, "already_owned")
        jobs.enqueue(refund_second_purchase, order.id, key=f"commerce:second-purchase:{order.id}")
        return True
    entitlement = entitlements.grant(order.user_id, product, f"order:{order.id}", now)
    buyer = db.session.get(User, order.user_id)
    events.emit("order.paid", user=buyer, subject=order, product_id=product.id, amount_minor=amount_minor,
                payer=payer_mark(provider_name, payer))
    _send_receipt(buyer, order, product, entitlement.ends_at)
    return True


def payer_mark(provider_name: str, payer: str) -> str:
    """A keyed hash of who paid through ``provider_name`` (case and spacing aside), or "" when
    the provider did not say: equal for one payer, and not the payer's details."""
    payer = " ".join(payer.split()).lower()
    if not payer:
        return ""
    secret = current_app.secret_key
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"payer:{provider_name}:{payer}".encode(), hashlib.sha256).hexdigest()[:32]


def refund_second_purchase(order_id: int) -> None:
    """The job: pay back an order for a product its buyer already owned (see ``refunds``)."""
    from kpay.commerce.refunds import refund_second_purchase as refund_it

    refund_it(order_id)
    db.session.commit()


def _send_receipt(buyer: User, order: Order, product: Product, ends_at) -> None:
    with force_locale(buyer.locale or current_app.config["KPAY"]["default_locale"]):
        subject = _("Receipt for %(product)s", product=order.product_name)
    send_email(
        buyer.email, subject, "commerce_receipt", key=f"commerce:receipt:{order.id}", locale=buyer.locale,
        name=buyer.display_name, order=order, product=product, ends_at=ends_at,
        url=url_for("commerce.order", order_id=order.id, _external=True),
    )


def expire_unpaid() -> int:
    """The sweep: orders unpaid after ``order_minutes`` expire and give back their coupon."""
    due = db.session.scalars(
        sa.select(Order).where(Order.status == OrderStatus.PENDING, Order.expires_at <= utcnow()).limit(500)
    ).all()
    expired = 0
    for order in due:
        moved = rows_changed(
            sa.update(Order).where(Order.id == order.id, Order.status == OrderStatus.PENDING)
            .values(status=OrderStatus.EXPIRED)
        )
        if moved:
            coupons.release(order)
            record(order, "expired")
            expired += 1
    db.session.commit()
    return expired


def cancel(order: Order, actor: User, reason: str = "") -> bool:
    """Cancel an unpaid order (the member gave up, or an admin rejected a manual payment)
    and give back its coupon; False when it is no longer open."""
    moved = rows_changed(
        sa.update(Order).where(Order.id == order.id, Order.status.in_(OPEN)).values(status=OrderStatus.CANCELLED)
    )
    if moved:
        coupons.release(order)
        record(order, "cancelled", actor, reason=reason)
    return bool(moved)


def mark_awaiting_confirmation(order: Order, member: User, reference: str) -> bool:
    """Move a pending ``order`` to ``awaiting_confirmation`` with the ``reference`` the member
    gave for a payment made outside KPay (the unpaid-order sweep then leaves it for a manager
    to confirm or reject); False when it is no longer pending. The caller commits."""
    moved = rows_changed(
        sa.update(Order).where(Order.id == order.id, Order.status == OrderStatus.PENDING)
        .values(status=OrderStatus.AWAITING_CONFIRMATION, member_reference=reference)
    )
    if moved:
        db.session.refresh(order)
        record(order, "reference_submitted", member, reference=reference)
    return bool(moved)


def attach_provider_session(order: Order, session_ref: str) -> bool:
    """Remember the provider's checkout session ``session_ref`` on an open ``order`` (its
    callbacks name the order by it); False when it is attached already or the order is
    closed. The caller commits."""
    moved = rows_changed(
        sa.update(Order)
        .where(Order.id == order.id, Order.status.in_(OPEN),
               sa.or_(Order.provider_ref.is_(None), Order.provider_ref != session_ref))
        .values(provider_ref=session_ref)
    )
    if moved:
        record(order, "payment_started", provider=order.provider, session_id=session_ref)
    return bool(moved)


def keep_open_until(order: Order, until: datetime) -> bool:
    """Keep a pending ``order`` from expiring before ``until`` (a provider's payment page
    stays payable that long); False when it is no longer pending or is open that long
    already. The caller commits."""
    moved = rows_changed(
        sa.update(Order)
        .where(Order.id == order.id, Order.status == OrderStatus.PENDING, Order.expires_at < until)
        .values(expires_at=until)
    )
    if moved:
        db.session.refresh(order)
    return bool(moved)


def refundable(order: Order) -> int:
    """How much of ``order`` can still be refunded."""
    return order.amount_minor - order.refunded_minor if order.status in SETTLED else 0


def refund(order: Order, amount_minor: int, key: str, actor: User | None, reason: str = "",
           provider_ref: str | None = None) -> Refund | None:
    """Refund ``amount_minor`` of a paid order, once per ``key``: the creator's share and the
    fee are reversed in proportion; refunding all of it revokes the entitlement. Returns the
    refund, or None for a replayed ``key`` or an already recorded ``provider_ref`` (checked
    first, so a replay of a full refund is not an error). Raises ``ValueError`` for an amount out of range, after writing: the caller then
    rolls back. The caller commits (and has asked the provider to pay it back first)."""
    if amount_minor <= 0:
        raise ValueError("a refund must be more than zero")
    if provider_ref and db.session.scalar(
        sa.select(Refund.id).where(sa.or_(Refund.provider_ref == provider_ref, Refund.key == provider_ref))
    ):
        return None  # the provider's refund is recorded already (its webhook, or an earlier try)
    refund_id = insert_once(
        Refund, ("key",), order_id=order.id, amount_minor=amount_minor, reason=reason[:500], key=key,
        provider_ref=provider_ref, actor_id=getattr(actor, "id", None), created_at=utcnow(),
    )
    if refund_id is None:
        return None
    after = db.session.scalar(
        sa.update(Order)
        .where(
            Order.id == order.id, Order.status.in_(SETTLED),
            Order.refunded_minor + amount_minor <= Order.amount_minor,
        )
        .values(refunded_minor=Order.refunded_minor + amount_minor)
        .returning(Order.refunded_minor)
    )
    if after is None:
        raise ValueError(f"order {order.id} has only {refundable(order)} left to refund")
    before = after - amount_minor  # from the UPDATE itself: a concurrent refund cannot skew it
    db.session.refresh(order)
    product = db.session.get(Product, order.product_id)
    # The fee charged when it was paid, whatever the fee settings say now.
    fee = -ledger.moved(f"payment:{order.id}", ledger.FEES)
    # The fee given back so far follows the share refunded so far; a full refund returns all.
    fee_back = _share(fee, order.refunded_minor, order.amount_minor) - _share(fee, before, order.amount_minor)
    ledger.post(
        f"refund:{refund_id}", "refund", order.currency,
        {
            ledger.provider_account(order.provider): -amount_minor,
            ledger.creator_account(product.creator_id): amount_minor - fee_back,
            ledger.FEES: fee_back,
        },
        order_id=order.id, memo=reason,
    )
    full = order.refunded_minor == order.amount_minor
    if full:
        order.status = OrderStatus.REFUNDED
        entitlements.revoke(f"order:{order.id}", "refunded")
    record(order, "refunded", actor, amount_minor=amount_minor, full=full, reason=reason)
    events.emit("order.refunded", user=db.session.get(User, order.user_id), subject=order,
                amount_minor=amount_minor, full=full)
    return db.session.get(Refund, refund_id)


def _share(total: int, part: int, whole: int) -> int:
    return (total * part + whole // 2) // whole if whole else 0
