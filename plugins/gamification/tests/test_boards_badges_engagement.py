"""Leaderboards equal a recomputation from the ledger; badges come once; engagement for operators."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from kpay.api import PointsEntry, award, site_now, utcnow
from kpay.extensions import db
from kpay.models import ActivityEvent, Notification, User
from kpay.types import Event
from plugins.gamification import badges, boards, engagement, rules
from plugins.gamification.models import BadgeAward, BoardRow


def _grant(app, user, rule, item, circle_id=None, when=None):
    with app.app_context():
        rules.grant(rule, user.id, circle_id, item, (when or utcnow()).date())
        db.session.commit()


def _stored_boards() -> dict:
    stored = defaultdict(list)
    for row in db.session.scalars(sa.select(BoardRow).order_by(BoardRow.scope, BoardRow.period, BoardRow.rank)):
        stored[(row.scope, row.period)].append((row.user_id, row.points))
    return dict(stored)


def _recomputed_boards() -> dict:
    """Plain sums over the whole ledger: circle read from the key, whole site days (today and
    the 6 or 29 before it)."""
    zone = site_now().tzinfo
    today = utcnow().astimezone(zone).date()
    expected = defaultdict(lambda: defaultdict(int))
    for user_id, amount, key, created in db.session.execute(
            sa.select(PointsEntry.user_id, PointsEntry.amount, PointsEntry.key, PointsEntry.created_at)):
        circle = key.removeprefix("gam:rev:").split(":")[2]
        scopes = ["site"] + ([f"circle:{circle[1:]}"] if circle != "c0" else [])
        for period, days in (("7", 7), ("30", 30), ("all", None)):
            if days is None or created.astimezone(zone).date() > today - timedelta(days=days):
                for scope in scopes:
                    expected[(scope, period)][user_id] += amount
    recomputed = {b: sorted(((u, p) for u, p in t.items() if p > 0), key=lambda r: (-r[1], r[0]))
                  for b, t in expected.items()}
    return {b: rows for b, rows in recomputed.items() if rows}


def test_leaderboards_equal_a_recomputation_from_the_ledger(app, make_user, person):
    ann, bob, cai = make_user(name="Ann"), make_user(name="Bob"), make_user(name="Cai")
    for number in range(4):
        _grant(app, ann, "lesson_completed", f"courses_lessons:{number}")
    _grant(app, bob, "answer_accepted", "forums_posts:1", circle_id=7)
    _grant(app, cai, "question_asked", "forums_topics:2", circle_id=7)
    with app.app_context():
        with time_machine.travel(utcnow() - timedelta(days=20), tick=False):  # in the 30-day and all-time boards only
            award(db.session.get(User, cai.id), 40, "gamification.course_completed", f"gam:course_completed:c0:x:1:u{cai.id}")
            db.session.commit()
        rules.reverse("forums_topics:2")
        db.session.commit()
        assert boards.sweep() == 0  # entries younger than a couple of minutes wait for the next sweep
        db.session.commit()
        with time_machine.travel(utcnow() + timedelta(minutes=3), tick=False):
            assert boards.sweep() == 8
            db.session.commit()
            stored = _stored_boards()
            assert stored == _recomputed_boards()
        assert stored[("site", "all")] == [(cai.id, 40), (ann.id, 20), (bob.id, 15)]
        assert stored[("circle:7", "7")] == [(bob.id, 15)]
        assert cai.id not in [u for u, _ in stored[("site", "7")]]
    page = person(ann).page("/gamification/leaderboard?period=all").split('id="gamification-board"')[1]
    assert page.index("Cai") < page.index("Ann") < page.index("Bob")
    # The next sweep reads only the entries after its mark, and the boards still agree.
    _grant(app, bob, "reply_liked", f"forums_posts:3:by{ann.id}", circle_id=7)
    with app.app_context():
        rules.reverse("forums_posts:1")
        db.session.commit()
        with time_machine.travel(utcnow() + timedelta(minutes=3), tick=False):
            assert boards.sweep() == 2
            db.session.commit()
            assert _stored_boards() == _recomputed_boards()
            assert _stored_boards()[("circle:7", "all")] == [(bob.id, 1)]
        # Eight days on, today's points have left the 7-day board but not the 30-day one.
        with time_machine.travel(utcnow() + timedelta(days=8), tick=False):
            assert boards.sweep() == 0
            db.session.commit()
            assert _stored_boards() == _recomputed_boards()
            assert ("site", "7") not in _stored_boards()


def test_a_badge_is_awarded_once_however_many_sweeps_run(app, make_user):
    member = make_user()
    _grant(app, member, "first_post_of_day", "forums_posts:1", circle_id=3)
    with app.app_context():
        assert badges.sweep() >= 1
        db.session.commit()
        assert badges.sweep() == 0  # a second worker's sweep finds every badge held
        db.session.commit()
        held = db.session.scalars(sa.select(BadgeAward.badge).where(BadgeAward.user_id == member.id)).all()
        assert sorted(held) == ["early_member", "first_post"]
        told = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.user_id == member.id, Notification.key.like("gamification.badge:%")))
        assert told == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityEvent).where(
            ActivityEvent.name == "badge.earned", ActivityEvent.user_id == member.id)) == 2


def test_engagement_is_shown_to_admins_with_its_inputs_and_members_at_risk(app, make_user, person):
    admin, faded, plain = make_user("admin"), make_user(name="Faded Fan"), make_user()
    with app.app_context():
        long_ago = utcnow() - timedelta(days=45)
        for number in range(6):  # 6 replies in one topic the period before, nothing since
            db.session.add(ActivityEvent(name="reply.created", user_id=faded.id, subject_type="forums_posts",
                                         subject_id=str(number), data={"topic_id": 1}, created_at=long_ago))
        db.session.add(ActivityEvent(name="topic.created", user_id=plain.id, subject_type="forums_topics",
                                     subject_id="5", data={"circle_id": 1}, created_at=utcnow()))
        db.session.commit()
        scores = engagement.scores(long_ago - timedelta(days=1), long_ago + timedelta(days=29))
        assert scores[faded.id] == (6, 1, 0.0, 7 / 30)
        engagement.sweep()
        db.session.commit()
    page = person(admin).page("/gamification/engagement")
    assert "Faded Fan" in page and "0.233" in page and "mailto:" in page
    assert person(plain).client.get("/gamification/engagement").status_code == 403


def test_replayed_events_grant_once(app, make_user):
    member = make_user()
    with app.app_context():
        event = Event(1, "course.completed", member.id, "courses_courses", "3", {}, utcnow())
        rules.on_event(event)
        rules.on_event(event)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.sum(PointsEntry.amount)).where(PointsEntry.user_id == member.id)) == 50
