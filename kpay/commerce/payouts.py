"""Payouts: what the site owes each creator, and recording money paid to one (admins).

A payout is recorded once per form (its one-time nonce is the payout's key), never for more
than the creator is owed: the creator's row is locked first (PostgreSQL; SQLite writers queue
on BEGIN IMMEDIATE), so two payouts at once cannot both spend one balance.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import current_app, flash, redirect, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from kpay import audit, notify
from kpay.commerce import ledger
from kpay.commerce.money import format_money
from kpay.commerce.studio_forms import PayoutForm
from kpay.commerce.views import bp
from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.models.commerce import LedgerBalance, Payout
from kpay.permissions import can, require
from kpay.render import render
from kpay.transactions import insert_once


class PayoutRefused(Exception):
    """The amount is more than the creator is owed now."""


def owed(creator_id: int | None = None) -> dict[int, dict[str, int]]:
    """What the site owes creators (all, or one), in minor units by currency; only amounts
    above zero. Read from the balances the ledger keeps, one row per account and currency."""
    account = LedgerBalance.account
    query = (
        sa.select(account, LedgerBalance.currency, LedgerBalance.balance_minor)
        .where(account == ledger.creator_account(creator_id) if creator_id else account.startswith(ledger.CREATOR_PREFIX))
        .where(LedgerBalance.balance_minor < 0)
    )
    found: dict[int, dict[str, int]] = {}
    for name, currency, balance in db.session.execute(query):
        found.setdefault(int(name.removeprefix(ledger.CREATOR_PREFIX)), {})[currency] = -int(balance)
    return found


def payout_for(key: str) -> Payout | None:
    return db.session.scalar(sa.select(Payout).where(Payout.key == key))


def record_payout(creator: User, amount_minor: int, currency: str, reference: str, key: str,
                  actor: User) -> tuple[Payout, bool]:
    """The payout for ``key``, and whether this call recorded it (False: a replay). Raises
    ``PayoutRefused`` when ``amount_minor`` is more than is owed. The caller commits."""
    earlier = payout_for(key)
    if earlier is not None:
        return earlier, False
    db.session.execute(sa.select(User.id).where(User.id == creator.id).with_for_update())
    if amount_minor > owed(creator.id).get(creator.id, {}).get(currency, 0):
        raise PayoutRefused(currency)
    payout_id = insert_once(
        Payout, ("key",), creator_id=creator.id, amount_minor=amount_minor, currency=currency,
        reference=reference, key=key, actor_id=actor.id, created_at=utcnow(),
    )
    if payout_id is None:  # the same form, posted twice at once: the other post recorded it
        return payout_for(key), False
    ledger.post(
        f"payout:{payout_id}", "payout", currency,
        {ledger.creator_account(creator.id): amount_minor, ledger.PAYOUTS: -amount_minor}, memo=reference,
    )
    payout = db.session.get(Payout, payout_id)
    audit.record(
        "payout.recorded", actor=actor, target=payout,
        after={"creator_id": creator.id, "amount_minor": amount_minor, "currency": currency, "reference": reference},
    )
    with force_locale(creator.locale or current_app.config["KPAY"]["default_locale"]):
        amount = format_money(amount_minor, currency)
    text = _l("A payout of %(amount)s was recorded (%(reference)s).", amount=amount, reference=reference)
    # A member who sells nothing (a referrer paid their commission) cannot open the revenue page.
    url = url_for("commerce.revenue") if can("commerce.sell", creator) else url_for("commerce.purchases",
                                                                                      _anchor="payouts")
    notify(creator, "purchases", text, url, key=f"commerce:payout:{payout_id}")
    return payout, True


@bp.route("/admin/payouts")
def payouts():
    """Creators the site owes money, most owed first, and the latest payouts."""
    require("commerce.manage")
    balances = owed()
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(balances))).all())
    rows = sorted(
        ((cid, names[cid], currency, amount) for cid, by in balances.items() for currency, amount in by.items()),
        key=lambda row: (-row[3], row[1]),
    )
    recent = db.session.execute(
        sa.select(Payout.created_at, User.display_name, Payout.amount_minor, Payout.currency, Payout.reference)
        .join(User, User.id == Payout.creator_id).order_by(Payout.id.desc()).limit(50)
    ).all()
    return render("commerce/studio/payouts.html", rows=rows, recent=recent)


@bp.route("/admin/payouts/<int:creator_id>", methods=["GET", "POST"])
def payout(creator_id: int):
    """The form that records a payout to one creator."""
    require("commerce.manage")
    creator = db.get_or_404(User, creator_id)
    form = PayoutForm()
    form.owed = owed(creator.id).get(creator.id, {})
    form.currency.choices = [SelectChoice(currency) for currency in sorted(form.owed)]
    if not form.is_submitted():
        form.nonce.data = secrets.token_urlsafe(24)
    key = f"payout-form:{form.nonce.data}"
    if form.is_submitted() and payout_for(key) is not None:  # the form was sent again
        flash(_("This payout was already recorded."), "info")
        return redirect(url_for("commerce.payouts"))
    if form.validate_on_submit():
        try:
            done, new = record_payout(
                creator, form.amount_minor, form.currency.data, form.reference.data.strip(), key,
                current_user._get_current_object(),
            )
        except PayoutRefused:
            db.session.rollback()
            form.amount.errors = [_("This is more than the creator is owed.")]
        else:
            db.session.commit()
            if new:
                flash(_("A payout of %(amount)s to %(name)s is recorded.",
                        amount=format_money(done.amount_minor, done.currency), name=creator.display_name), "success")
            else:
                flash(_("This payout was already recorded."), "info")
            return redirect(url_for("commerce.payouts"))
    status = 422 if form.is_submitted() else 200
    return render("commerce/studio/payout.html", status=status, form=form, creator=creator)
