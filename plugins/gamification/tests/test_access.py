"""Outsiders (a visitor, a member without the product) see nothing of a paid circle's challenge
or board, and change nothing; a buyer who joined checks in."""

from __future__ import annotations

from datetime import date

from kpay.commerce import entitlements
from kpay.extensions import db
from kpay.models.commerce import Product
from kpay.testing.outsiders import assert_outsiders_see_nothing
from plugins.gamification.models import Challenge, CheckIn
from plugins.gamification.tests.conftest import Person

CANARY = "CANARY-GAMIFY"


def test_outsiders_see_no_paid_circle_challenge_and_change_nothing(app, make_user):
    from plugins.forums.models import Circle, Membership

    chen, buyer, outsider = make_user("creator", name=f"{CANARY} Chen"), make_user(name=f"{CANARY} Buyer"), make_user()
    with app.app_context():
        product = Product(creator_id=chen.id, name="Membership", kind="membership", period_days=365, price_minor=100,
                          currency="CNY")
        db.session.add(product)
        db.session.flush()
        circle = Circle(name=f"{CANARY} circle", creator_id=chen.id, visibility="paid", product_id=product.id,
                        member_count=2, rules="Be kind.")
        db.session.add(circle)
        db.session.flush()
        db.session.add_all([Membership(circle_id=circle.id, user_id=chen.id, role="moderator"),
                            Membership(circle_id=circle.id, user_id=buyer.id)])
        entitlements.grant(buyer.id, product, f"test:{buyer.id}")
        challenge = Challenge(circle_id=circle.id, creator_id=chen.id, title=f"{CANARY} title", prompt=f"{CANARY} prompt",
                              starts_on=date(2020, 1, 1), days=365 * 20, grace_days=1)
        db.session.add(challenge)
        db.session.commit()
        values = {"challenge_id": challenge.id, "circle_id": circle.id, "user_id": buyer.id}
    buyer_page = Person(app, buyer)
    buyer_page.post(f"/gamification/challenges/{values['challenge_id']}/checkin", note=f"{CANARY} note")
    assert f"{CANARY} prompt" in buyer_page.page(f"/gamification/challenges/{values['challenge_id']}")
    with app.app_context():
        assert db.session.query(CheckIn).count() == 1
    asked = assert_outsiders_see_nothing(app, "gamification", [f"{CANARY} prompt", f"{CANARY} title", f"{CANARY} note",
                                                               f"{CANARY} circle"], values, member=outsider)
    assert ("visitor", "page", f"/gamification/challenges/{values['challenge_id']}", 404) in asked
