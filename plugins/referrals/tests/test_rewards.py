"""Commission and points through the ledgers: granted once, held, released, reversed; fraud
rules from RELIABILITY.md M10. Runs on PostgreSQL too with KPAY_TEST_DATABASE_URL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from kpay import points
from kpay.extensions import db
from kpay.models import ActivityEvent, User
from kpay.models.base import utcnow
from kpay.models.commerce import Order
from kpay.testing import TEST_DATABASE_URL
from plugins.referrals import rewards
from plugins.referrals.models import Attribution, Reward
from plugins.referrals.tests.conftest import (
    balance, ledger_sums_to_zero, pay, referrals_config, refund, sign_up_through,
)


def held(user):
    return -balance(rewards.held_account(user.id))


def available(user):
    return -balance(rewards.available_account(user.id))


def statuses(app, user) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(Reward.status).where(Reward.referrer_id == user.id,
                                                                  Reward.kind == "commission")).all()


def test_invited_purchase_holds_commission_then_releases_and_refund_reverses_it_with_points(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    order = pay(app, bo.id, product)
    with app.app_context():
        assert held(alice) == 1000 and available(alice) == 0  # 10 % of ¥100.00
        assert balance(rewards.EXPENSE) == 1000 and ledger_sums_to_zero()
        assert points.balance(alice) == 0  # points come with the release
        rewards.release_due(utcnow() + timedelta(days=15))
        assert held(alice) == 0 and available(alice) == 1000 and ledger_sums_to_zero()
        assert points.balance(alice) == 50
    refund(app, order)
    with app.app_context():
        assert available(alice) == 0 and held(alice) == 0 and balance(rewards.EXPENSE) == 0
        assert ledger_sums_to_zero() and points.balance(alice) == 0
        names = db.session.scalars(sa.select(ActivityEvent.name).where(ActivityEvent.user_id == alice.id)
                                   .order_by(ActivityEvent.id)).all()
    assert statuses(app, alice) == ["reversed"]
    assert [n for n in names if n.startswith("referral.")] == [
        "referral.visited", "referral.signed_up", "referral.reward_granted", "referral.reward_granted",
        "referral.converted",
        "referral.reward_reversed", "referral.reward_reversed",
    ]


def test_refund_inside_the_hold_cancels_the_pending_commission(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    refund(app, pay(app, bo.id, product))
    with app.app_context():
        assert held(alice) == 0 and available(alice) == 0 and ledger_sums_to_zero()
        assert rewards.release_due(utcnow() + timedelta(days=30)) == 0
        assert points.balance(alice) == 0
    assert statuses(app, alice) == ["reversed"]


def test_a_partial_refund_in_the_hold_reverses_only_its_share_and_the_rest_is_released(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    order = pay(app, bo.id, product)
    refund(app, order, 3000, "first-part")  # ¥30.00 of ¥100.00 back: ¥3.00 of the ¥10.00 commission
    with app.test_request_context():
        assert held(alice) == 700 and balance(rewards.EXPENSE) == 700 and ledger_sums_to_zero()
        assert rewards.reverse_for_order(order, "refunded") == []  # the event handled again books nothing
        db.session.commit()
        assert held(alice) == 700 and ledger_sums_to_zero()
        assert rewards.release_due(utcnow() + timedelta(days=15)) == 2
        assert held(alice) == 0 and available(alice) == 700 and ledger_sums_to_zero()
        assert points.balance(alice) == 50  # the invitee still paid: the sign-up points stay
    assert statuses(app, alice) == ["available"]
    refund(app, order, 7000, "second-part")  # the rest: all of the commission and the points go back
    with app.app_context():
        assert available(alice) == 0 and held(alice) == 0 and balance(rewards.EXPENSE) == 0
        assert points.balance(alice) == 0 and ledger_sums_to_zero()
    assert statuses(app, alice) == ["reversed"]


def test_partial_refunds_add_up_to_the_whole_commission_without_rounding_drift(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    order = pay(app, bo.id, product)
    for n in range(3):  # ¥33.33 + ¥33.33 + ¥33.34: shares of the refunded total, never of each part
        refund(app, order, 3333 if n < 2 else 3334, f"third-{n}")
        with app.app_context():
            assert held(alice) == [667, 333, 0][n] and ledger_sums_to_zero()
    assert statuses(app, alice) == ["reversed"]


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="two sessions at once need PostgreSQL")
def test_a_partial_refund_event_handled_twice_at_once_reverses_its_share_once(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    order = pay(app, bo.id, product)
    with app.app_context():  # half refunded, and the event not handled yet (the ledger is append-only)
        db.session.execute(sa.update(Order).where(Order.id == order).values(refunded_minor=5000))
        db.session.commit()
        assert held(alice) == 1000
    start = threading.Barrier(2)

    def handle():
        with app.test_request_context():
            start.wait()
            rewards.reverse_for_order(order, "refunded")
            db.session.commit()

    threads = [threading.Thread(target=handle) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        assert held(alice) == 500 and balance(rewards.EXPENSE) == 500 and ledger_sums_to_zero()


def test_a_replayed_order_paid_grants_once(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    order = pay(app, bo.id, product)
    with app.test_request_context():
        assert rewards.grant_for_order(order) == []
        db.session.commit()
        assert held(alice) == 1000
        assert rewards.release_due(utcnow() + timedelta(days=15)) == 2
        assert rewards.release_due(utcnow() + timedelta(days=15)) == 0
        assert available(alice) == 1000 and points.balance(alice) == 50


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="two sessions at once need PostgreSQL")
def test_order_paid_handled_twice_at_once_grants_once(app, make_user, product):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    with app.app_context():
        db.session.execute(sa.delete(Reward))
        db.session.execute(sa.update(Attribution).values(converted_at=None))
        db.session.commit()
    order = pay(app, bo.id, product)  # granted by the event; now two more handlers race
    with app.app_context():
        db.session.execute(sa.delete(Reward))  # as if the event were new: both racers see no reward
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
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reward).where(Reward.kind == "commission")) == 1


def test_self_referral_through_a_gmail_alias_waits_for_review_and_pays_nothing(app, make_user, product):
    alice = make_user(email="a.b@gmail.com", name="Alice")
    alias = sign_up_through(app, alice, "ab+x@gmail.com")
    pay(app, alias.id, product)
    with app.app_context():
        assert _attribution(alias.id).flagged == "same mailbox"
        assert held(alice) == 0 and ledger_sums_to_zero()
    assert statuses(app, alice) == ["review"]


def test_signups_without_a_purchase_earn_nothing(app, make_user):
    alice = make_user(name="Alice")
    for n in range(3):
        sign_up_through(app, alice, f"bot{n}@example.com")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attribution)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reward)) == 0
        assert points.balance(alice) == 0


def test_a_chain_pays_one_level_by_default(app, make_user, product):
    _chain(app, make_user, product, expected_grand=0)


def _chain(app, make_user, product_id, expected_grand):
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    cy = sign_up_through(app, bo, "cy@example.com")
    pay(app, cy.id, product_id)
    with app.app_context():
        assert held(bo) == 1000 and held(alice) == expected_grand
        assert _attribution(cy.id).depth == 2


def test_second_level_commission_when_two_levels_are_on(make_app, make_user):
    app = make_app(referrals_config(levels=2, second_level_percent=3))
    from kpay.models.commerce import Product

    creator = make_user("creator")
    with app.app_context():
        item = Product(creator_id=creator.id, name="Course", price_minor=10000, currency="CNY")
        db.session.add(item)
        db.session.commit()
        product_id = item.id
    _chain(app, make_user, product_id, expected_grand=300)


def test_commissions_over_the_daily_cap_wait_for_review(make_app, make_user):
    app = make_app(referrals_config(daily_cap=1, signup_points=0))
    from kpay.models.commerce import Product

    creator = make_user("creator")
    with app.app_context():
        items = [Product(creator_id=creator.id, name=f"Course {n}", price_minor=10000, currency="CNY")
                 for n in range(2)]
        db.session.add_all(items)
        db.session.commit()
        ids = [item.id for item in items]
    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    for product_id in ids:
        pay(app, bo.id, product_id)
    assert sorted(statuses(app, alice)) == ["held", "review"]
    with app.app_context():
        waiting = db.session.scalar(sa.select(Reward).where(Reward.status == "review"))
        assert waiting.evidence == "over the daily cap"
        assert rewards.decide(waiting, approve=True) and not rewards.decide(waiting, approve=True)
        db.session.commit()
        assert held(alice) == 2000 and ledger_sums_to_zero()


def test_attribution_is_fixed_at_sign_up_and_the_last_touch_wins(app, make_user, product):
    alice, carol = make_user(name="Alice"), make_user(name="Carol")
    client = app.test_client()
    client.get(f"/invite/{_code(app, alice)}")
    bo = sign_up_through(app, carol, "bo@example.com", client=client)
    with app.app_context():
        assert _attribution(bo.id).referrer_id == carol.id
    client.get(f"/invite/{_code(app, alice)}")  # a later visit cannot move it
    pay(app, bo.id, product)
    with app.app_context():
        assert held(carol) == 1000 and held(alice) == 0
        assert db.session.get(User, bo.id) is not None


def _code(app, user):
    from plugins.referrals.tests.conftest import code_of

    return code_of(app, user)


def _attribution(invitee_id):
    return db.session.scalar(sa.select(Attribution).where(Attribution.invitee_id == invitee_id))


def test_demo_builds_a_small_tree_with_one_reversed_reward_and_a_balanced_ledger(app):
    from kpay import demo

    with app.test_request_context("/"):
        demo.build()
        depths = sorted(db.session.scalars(sa.select(Attribution.depth)).all())
        states = db.session.scalars(sa.select(Reward.status).where(Reward.kind == "commission")).all()
        assert depths == [1, 2, 2] and states.count("reversed") == 1 and "held" in states
        assert ledger_sums_to_zero()


def test_a_members_export_names_their_referrer_rewards_and_erasure_drops_their_shares(app, make_user, product):
    from plugins.referrals import member_data, stats
    from plugins.referrals.models import Mark, Share

    alice = make_user(name="Alice")
    bo = sign_up_through(app, alice, "bo@example.com")
    pay(app, bo.id, product)
    pay(app, alice.id, product, payer="cus_alice")
    with app.test_request_context():
        stats.sweep()
        assert [root.name for root in stats.figures(30).roots] == ["Alice"]
        assert member_data.export(db.session.get(User, bo.id))["invited_by"] == alice.id
        mine = member_data.export(db.session.get(User, alice.id))
        assert mine["invited"] == [bo.id] and {r["kind"] for r in mine["rewards"]} == {"commission", "points"}
        db.session.add(Share(sharer_id=alice.id, item="/", channel="copy", day="2026-12-06"))
        member_data.erase(db.session.get(User, alice.id))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Share)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Mark).where(Mark.user_id == alice.id)) == 0
        kept = stats.figures(30)
        assert kept.roots == [] and kept.leaders == []  # her name waits for the next sweep's
