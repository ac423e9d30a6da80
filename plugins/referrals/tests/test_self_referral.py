"""Self-referral (RELIABILITY.md M10) beyond one's own code: the referrer's browser, the
payment account they paid from; and paid conversions that a full refund takes back."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.extensions import db
from kpay.testing import Auth
from plugins.referrals import rewards
from plugins.referrals.models import Attribution, Reward
from plugins.referrals.tests.conftest import (
    balance, ledger_sums_to_zero, login, pay, refund, sign_up_through, sweep,
)


def _attribution(invitee_id: int) -> Attribution:
    return db.session.scalar(sa.select(Attribution).where(Attribution.invitee_id == invitee_id))


def _commissions(referrer_id: int) -> list[str]:
    return db.session.scalars(sa.select(Reward.status).where(Reward.referrer_id == referrer_id,
                                                              Reward.kind == "commission")).all()


def test_a_sign_up_from_the_browser_the_referrer_logs_in_with_waits_for_review(app, make_user, product):
    alice = make_user(name="Alice")
    browser = login(app, alice)  # her browser gets its device cookie when she logs in
    Auth(browser).logout()
    second = sign_up_through(app, alice, "someone.else@example.com", client=browser)
    friend = sign_up_through(app, alice, "friend@example.com")  # another browser
    pay(app, second.id, product)
    pay(app, friend.id, product)
    with app.app_context():
        assert _attribution(second.id).flagged == "same device as the referrer"
        assert _attribution(friend.id).flagged == ""
        assert sorted(_commissions(alice.id)) == ["held", "review"]
        assert -balance(rewards.held_account(alice.id)) == 1000 and ledger_sums_to_zero()  # the friend's only


def test_an_invitee_paying_from_the_referrers_payment_account_earns_nothing_until_reviewed(app, make_user, product):
    alice = make_user(name="Alice")
    pay(app, alice.id, product, payer="cus_Alice01")  # Alice bought once herself, through Stripe
    twin = sign_up_through(app, alice, "twin@example.com")
    friend = sign_up_through(app, alice, "friend@example.com")
    pay(app, twin.id, product, payer=" CUS_alice01 ")  # the same customer, however it is spelled
    pay(app, friend.id, product, payer="cus_Friend02")
    with app.app_context():
        assert _attribution(twin.id).flagged == "same payment account as the referrer"
        assert _attribution(friend.id).flagged == ""
        assert sorted(_commissions(alice.id)) == ["held", "review"]
        assert -balance(rewards.held_account(alice.id)) == 1000 and ledger_sums_to_zero()


def test_a_manual_transfer_with_the_referrers_reference_waits_for_review(make_app, make_user):
    from kpay.commerce import confirmations, orders
    from kpay.models import User
    from kpay.models.commerce import Product
    from plugins.referrals.tests.conftest import referrals_config

    config = referrals_config()
    config["plugins"]["enabled"].append("pay_manual")
    config["plugins"]["pay_manual"] = {"instructions": "Transfer the amount."}
    app = make_app(config)
    alice, admin = make_user(name="Alice"), make_user("admin", name="Ada")
    with app.app_context():
        product = Product(creator_id=admin.id, name="Course", price_minor=10000, currency="CNY")
        db.session.add(product)
        db.session.commit()
        product_id = product.id
    twin = sign_up_through(app, alice, "twin@example.com")

    def transfer(buyer_id: int, reference: str) -> None:
        with app.test_request_context():
            order = orders.checkout(db.session.get(User, buyer_id), db.session.get(Product, product_id), "pay_manual",
                                    f"nonce-{buyer_id}")
            orders.mark_awaiting_confirmation(order, db.session.get(User, buyer_id), reference)
            confirmations.confirm(order, db.session.get(User, admin.id))
            db.session.commit()

    transfer(alice.id, "Alice Wang 6214-0001")
    transfer(twin.id, "alice wang  6214-0001")
    with app.app_context():
        assert _attribution(twin.id).flagged == "same payment account as the referrer"
        assert _commissions(alice.id) == ["review"]


def test_paid_conversions_leave_out_invitees_refunded_in_full(app, make_user, product):
    alice = make_user(name="Alice")
    kept, returned, halved = (sign_up_through(app, alice, f"{name}@example.com", name=name)
                              for name in ("kept", "returned", "halved"))
    pay(app, kept.id, product)
    refund(app, pay(app, returned.id, product))
    refund(app, pay(app, halved.id, product), 5000)
    sweep(app)
    admin = login(app, make_user("admin"))
    html = admin.get("/referrals/admin").get_data(as_text=True)
    assert '<td data-converted>2</td>' in html  # this month's cohort: kept and halved
    assert "<td>link</td><td>0</td><td>3</td><td>3</td><td>2</td>" in html.replace("\n", "")
    assert "<dt>Bought</dt><dd>2</dd>" in login(app, alice).get("/invite").get_data(as_text=True).replace(" ", "")
    pay(app, returned.id, product)  # they bought again: converted again
    with app.app_context():
        assert _attribution(returned.id).converted_at is not None
