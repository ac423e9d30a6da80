"""Outsiders (a visitor, a member without the product) see nothing of a paid circle's challenge
or board, and change nothing; a buyer who joined checks in."""

from __future__ import annotations

from datetime import date

from kpay.commerce import entitlements
from kpay.extensions import db
from kpay.models.commerce import Product
from kpay.testing.outsiders import assert_outsiders_see_nothing
from plugins.gamification.models import Challenge, CheckIn
from plugins.gamification.tests.conftest import Person, picture, start_circle

CANARY = "CANARY-GAMIFY"


def test_outsiders_see_no_paid_circle_challenge_and_change_nothing(app, make_user):
    chen, buyer, outsider = make_user("creator", name=f"{CANARY} Chen"), make_user(name=f"{CANARY} Buyer"), make_user()
    with app.app_context():
        product = Product(creator_id=chen.id, name="Membership", kind="membership", period_days=365, price_minor=100,
                          currency="CNY")
        db.session.add(product)
        db.session.flush()
        entitlements.grant(buyer.id, product, f"test:{buyer.id}")
        db.session.commit()
        product_id = product.id
    circle_id = start_circle(app, chen, name=f"{CANARY} circle", visibility="paid", product_id=str(product_id))
    Person(app, buyer).post(f"/forums/c/{circle_id}/join")
    with app.app_context():
        challenge = Challenge(circle_id=circle_id, creator_id=chen.id, title=f"{CANARY} title", prompt=f"{CANARY} prompt",
                              starts_on=date(2020, 1, 1), days=365 * 20, grace_days=1)
        db.session.add(challenge)
        db.session.commit()
        values = {"challenge_id": challenge.id, "circle_id": circle_id, "user_id": buyer.id}
    buyer_page = Person(app, buyer)
    buyer_page.post(f"/gamification/challenges/{values['challenge_id']}/checkin", note=f"{CANARY} note",
                    photo=(picture(), "desk.png"))
    assert f"{CANARY} prompt" in buyer_page.page(f"/gamification/challenges/{values['challenge_id']}")
    with app.app_context():
        assert db.session.query(CheckIn).count() == 1
        values["checkin_id"] = db.session.query(CheckIn).one().id
    photo = f"/gamification/checkins/{values['checkin_id']}/photo"
    assert buyer_page.client.get(photo).status_code == 200
    asked = assert_outsiders_see_nothing(app, "gamification", [f"{CANARY} prompt", f"{CANARY} title", f"{CANARY} note",
                                                               f"{CANARY} circle"], values, member=outsider)
    assert ("visitor", "page", f"/gamification/challenges/{values['challenge_id']}", 404) in asked
    assert ("member", "page", photo, 404) in asked
