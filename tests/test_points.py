"""Points: an append-only ledger; each grant once per key; balances and leaderboards derived."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from kpay import points
from kpay.extensions import db
from kpay.models import PointsEntry, User
from kpay.models.base import utcnow


@pytest.fixture
def member(make_user):
    return make_user()


def entries(app) -> list[tuple[int, int, str]]:
    with app.app_context():
        return db.session.execute(
            sa.select(PointsEntry.user_id, PointsEntry.amount, PointsEntry.key).order_by(PointsEntry.id)
        ).all()


def test_replayed_grant_with_the_same_key_gives_points_once(app, member):
    with app.app_context():
        assert points.award(member, 50, "Referral", key="referral:42") is True
        assert points.award(member, 50, "Referral", key="referral:42") is False
        db.session.commit()
        assert points.award(member, 50, "Referral", key="referral:42") is False
        db.session.commit()
        assert points.balance(member) == 50
    assert entries(app) == [(member.id, 50, "referral:42")]


def test_rolled_back_grant_leaves_the_key_free(app, member):
    with app.app_context():
        points.award(member, 50, "Referral", key="referral:42")
        db.session.rollback()
        assert points.award(member, 50, "Referral", key="referral:42") is True
        db.session.commit()
        assert points.balance(member) == 50


def test_balance_is_the_sum_of_grants_and_deductions(app, member):
    with app.app_context():
        points.award(member, 100, "Course finished", key="course:1")
        points.award(member, -30, "Spent on a coupon", key="coupon:9")
        db.session.commit()
        assert points.balance(member) == 70


def test_grant_must_be_a_non_zero_whole_number(app, member):
    with app.app_context():
        for amount in (0, 1.5, "10"):
            with pytest.raises(ValueError):
                points.award(member, amount, "Oops", key=f"bad:{amount}")


def test_leaderboard_ranks_members_by_points_and_can_count_only_recent_ones(app, make_user):
    alice, bob, carol = make_user(name="Alice"), make_user(name="Bob"), make_user(name="Carol")
    with app.app_context():
        points.award(alice, 30, "Answers", key="a1")
        points.award(bob, 80, "Answers", key="b1")
        points.award(carol, 10, "Answers", key="c1")
        db.session.commit()
        since = utcnow()
        points.award(carol, 100, "Lecture", key="c2")
        db.session.commit()

        ranking = [(user.display_name, total) for user, total in points.leaderboard(limit=2)]
        assert ranking == [("Carol", 110), ("Bob", 80)]
        recent = [(user.display_name, total) for user, total in points.leaderboard(since=since)]
        assert recent == [("Carol", 100)]
        assert points.leaderboard(since=utcnow() + timedelta(days=1)) == []


def test_ledger_entries_cannot_be_edited_or_deleted_even_with_bulk_sql(app, member):
    with app.app_context():
        points.award(member, 50, "Referral", key="referral:42")
        db.session.commit()
        entry = db.session.scalar(sa.select(PointsEntry))
        entry.amount = 5000
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        for statement in (
            sa.update(PointsEntry).values(amount=5000),
            sa.delete(PointsEntry),
            sa.text("DELETE FROM points_entries"),
        ):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()
    assert entries(app) == [(member.id, 50, "referral:42")]


def test_two_simultaneous_grants_with_the_same_key_give_one_entry(app, member):
    """Two requests (say, a double click) grant at once, each in its own app context and
    database connection; the unique key lets one through and the other gets False."""
    barrier = threading.Barrier(2)
    results = []

    def grant():
        with app.app_context():
            barrier.wait(timeout=10)
            user = db.session.get(User, member.id)
            granted = points.award(user, 50, "Double click", key="click:1")
            time.sleep(0.2)  # hold the transaction open while the other one tries
            db.session.commit()
            results.append(granted)

    threads = [threading.Thread(target=grant) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]
    assert entries(app) == [(member.id, 50, "click:1")]


def test_simultaneous_grants_with_different_keys_all_count_in_the_balance(app, member):
    """The kept balance adds in the database: grants in flight at once lose none of each other's points."""
    barrier = threading.Barrier(3)

    def grant(n: int):
        with app.app_context():
            barrier.wait(timeout=10)
            points.award(db.session.get(User, member.id), 10 * (n + 1), "Answer", key=f"answer:{n}")
            db.session.commit()

    threads = [threading.Thread(target=grant, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        assert points.balance(member) == 60 == sum(amount for _, amount, _ in entries(app))
