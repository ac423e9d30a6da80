"""Double-sided coupons: issued through commerce to inviter and invitee once per converted
invitee, shown on the member page, and taking money off at checkout. PostgreSQL too."""

from __future__ import annotations

import secrets
import threading

import pytest
import sqlalchemy as sa

from kpay.commerce import orders
from kpay.extensions import db
from kpay.models import User
from kpay.models.commerce import Coupon, Product
from kpay.testing import TEST_DATABASE_URL
from plugins.referrals import coupons, rewards
from plugins.referrals.models import Attribution, ReferralCoupon
from plugins.referrals.tests.conftest import login, pay, referrals_config, sign_up_through


@pytest.fixture
def app(make_app):
    return make_app(referrals_config(inviter_coupon_percent=15, invitee_coupon_percent=10, coupon_days=30))


def new_product(app, creator_id: int, name: str) -> int:
    with app.app_context():
        item = Product(creator_id=creator_id, name=name, price_minor=10000, currency="CNY")
        db.session.add(item)
        db.session.commit()
        return item.id


@pytest.fixture
def product(app, make_user):
    make_user("admin", name="Admin")  # the site's coupons are an admin's, so they fit any product
    return new_product(app, make_user("creator", name="Chen").id, "Python 入门")


def coupons_of(app, user) -> dict[str, tuple[str, int]]:
    with app.app_context():
        return {mine.side: (coupon.code, coupon.value) for mine, coupon in coupons.mine(user.id)}


def test_a_first_paid_order_gives_both_sides_a_coupon_once_and_it_works_at_checkout(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    assert coupons_of(app, alice) == {} and coupons_of(app, bo) == {}  # only after a real paid order
    order = pay(app, bo.id, product)
    alice_code, alice_percent = coupons_of(app, alice)["inviter"]
    bo_code, bo_percent = coupons_of(app, bo)["invitee"]
    assert (alice_percent, bo_percent) == (15, 10) and alice_code != bo_code
    second, third = (new_product(app, alice.id, name) for name in ("SQL", "Go"))
    pay(app, bo.id, second)  # a second order converts nobody again
    with app.test_request_context():
        assert rewards.grant_for_order(order) == []  # order.paid handled again
        attribution = db.session.scalar(sa.select(Attribution).where(Attribution.invitee_id == bo.id))
        assert coupons.issue_for(attribution) == []  # and the conversion itself replayed
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReferralCoupon)) == 2
    page = login(app, bo).get("/invite").get_data(as_text=True)
    assert bo_code in page and alice_code not in page and "10% off" in page
    page = login(app, alice).get("/invite").get_data(as_text=True)
    assert alice_code in page and "15% off" in page
    with app.test_request_context():
        bought = orders.checkout(db.session.get(User, bo.id), db.session.get(Product, third), "sandbox",
                                 secrets.token_urlsafe(16), bo_code.lower())
        assert bought.amount_minor == 9000
        db.session.commit()
        with pytest.raises(orders.CheckoutError):  # one use only
            orders.checkout(db.session.get(User, bo.id), db.session.get(Product, second), "sandbox",
                            secrets.token_urlsafe(16), bo_code)
        db.session.rollback()


def test_no_coupons_for_a_flagged_sign_up_or_when_the_site_turns_them_off(app, make_app, make_user, product):
    alice = make_user(name="Alice", email="alice@gmail.com")
    alias = sign_up_through(app, alice, "a.lice+2@gmail.com")
    pay(app, alias.id, product)
    assert coupons_of(app, alice) == {} and coupons_of(app, alias) == {}
    off = make_app(referrals_config())
    carol = make_user(name="Carol")
    dan = sign_up_through(off, carol, "dan@example.com")
    pay(off, dan.id, product)
    assert coupons_of(off, carol) == {} and coupons_of(off, dan) == {}


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="two sessions at once need PostgreSQL")
def test_a_conversion_handled_twice_at_once_issues_each_coupon_once(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    order = pay(app, bo.id, product)
    with app.app_context():  # as if the conversion were new: both racers find nothing made
        db.session.execute(sa.delete(ReferralCoupon))
        db.session.execute(sa.delete(Coupon))
        db.session.execute(sa.update(Attribution).values(converted_at=None))
        db.session.execute(sa.delete(rewards.Reward))
        db.session.commit()
    start = threading.Barrier(2)

    def handle():
        with app.test_request_context():
            start.wait()
            rewards.grant_for_order(order)
            db.session.commit()

    threads = [threading.Thread(target=handle) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Coupon)) == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReferralCoupon)) == 2
