"""Two workers at once award once; a cap's last slot goes once; the member's data is exported and erased."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from kpay.api import PointsEntry, site_now, utcnow
from kpay.extensions import db
from kpay.models import Notification, User
from kpay.types import Event
from plugins.gamification import badges, boards, member_data, rules
from plugins.gamification.models import BadgeAward, Challenge, CheckIn, PointTotal
from plugins.gamification.tests.conftest import gamification_config


def _at_once(app, work, n: int = 2) -> list:
    """Run ``work()`` in ``n`` threads, each in its own app context and session, released together."""
    start = threading.Barrier(n)

    def run(_):
        with app.app_context():
            start.wait()
            try:
                result = work()
                db.session.commit()
                return result
            finally:
                db.session.remove()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def racing_app(make_app, postgres_url):
    if not postgres_url:
        pytest.skip("races need PostgreSQL: set KPAY_TEST_DATABASE_URL")
    return make_app(gamification_config(cap_lesson_completed=1))


def test_two_workers_sweeping_at_once_award_a_badge_once(racing_app, make_user):
    member = make_user()
    with racing_app.app_context():
        rules.grant("first_post_of_day", member.id, 3, "forums_posts:1", date.today())
        db.session.commit()
    _at_once(racing_app, badges.sweep)
    with racing_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BadgeAward).where(
            BadgeAward.user_id == member.id, BadgeAward.badge == "first_post")) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.user_id == member.id, Notification.key.like("gamification.badge:%:first_post"))) == 1


def test_two_workers_sweeping_the_boards_at_once_count_each_entry_once(racing_app, make_user):
    member = make_user()
    with racing_app.app_context():
        boards.sweep(settle=timedelta(0))  # the mark exists: both workers read it, one moves it
        for number in range(3):
            rules.grant("answer_accepted", member.id, 4, f"forums_posts:{number}", date.today())
        db.session.commit()
    read = _at_once(racing_app, lambda: boards.sweep(settle=timedelta(0)))
    assert sorted(read) == [0, 3]
    with racing_app.app_context():
        board = [(row.user_id, row.points) for row, _ in boards.read("circle:4", "all")]
        assert board == [(member.id, 45)]
        assert db.session.scalar(sa.select(sa.func.sum(PointTotal.points)).where(PointTotal.user_id == member.id)) == 45


def test_two_workers_hearing_events_at_once_grant_within_the_cap(racing_app, make_user):
    member = make_user()
    events = iter([Event(1, "lesson.completed", member.id, "courses_lessons", "1", {}, utcnow()),
                   Event(2, "lesson.completed", member.id, "courses_lessons", "2", {}, utcnow())])
    lock = threading.Lock()

    def hear():
        with lock:
            event = next(events)
        rules.on_event(event)

    _at_once(racing_app, hear)
    with racing_app.app_context():
        assert db.session.scalar(sa.select(sa.func.sum(PointsEntry.amount)).where(PointsEntry.user_id == member.id)) == 5


def test_member_data_is_exported_and_erased(app, make_user, circle):
    member = make_user()
    with app.app_context():
        challenge = Challenge(circle_id=circle[0], creator_id=circle[1].id, title="Read", prompt="", starts_on=date(2027, 1, 1))
        db.session.add(challenge)
        db.session.flush()
        db.session.add(CheckIn(challenge_id=challenge.id, user_id=member.id, day=date(2027, 1, 1), note="chapter one"))
        rules.grant("first_post_of_day", member.id, circle[0], "forums_posts:9", date.today())
        badges.sweep()
        db.session.commit()
        user = db.session.get(User, member.id)
        exported = member_data.export(user)
        assert exported["checkins"][0]["note"] == "chapter one"
        assert {b["badge"] for b in exported["badges"]} >= {"first_post"}
        member_data.erase(user)
        db.session.commit()
        assert member_data.export(user) is None


def test_an_entry_committed_after_a_later_one_still_reaches_the_boards(racing_app, make_user):
    """The settle window: a sweep passes no entry younger than two minutes, so an award whose
    transaction is still open (its ledger id lower than one already committed) is summed by a
    later sweep, not skipped."""
    slow, quick = make_user(), make_user()
    held, release = threading.Event(), threading.Event()

    def slow_award():
        with racing_app.app_context():
            try:
                rules.grant("answer_accepted", slow.id, 4, "forums_posts:1", date.today())
                db.session.flush()
                held.set()
                release.wait(30)
                db.session.commit()
            finally:
                db.session.remove()

    worker = threading.Thread(target=slow_award)
    worker.start()
    assert held.wait(30)
    with racing_app.app_context():
        rules.grant("answer_accepted", quick.id, 4, "forums_posts:2", date.today())
        db.session.commit()
        assert boards.sweep() == 0  # the committed entry is younger than the window: the mark stays
        db.session.commit()
    release.set()
    worker.join()
    with racing_app.app_context():
        assert boards.sweep(now=site_now() + timedelta(minutes=3)) == 2
        db.session.commit()
        board = [(row.user_id, row.points) for row, _ in boards.read("circle:4", "all")]
        assert board == [(slow.id, 15), (quick.id, 15)]
