"""Demo: a 21-day check-in challenge in the first circle with a few days of check-ins, points for
the demo learners, and the boards and badges swept once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from kpay.api import User, db, today
from plugins.gamification import badges, boards, engagement, rules
from plugins.gamification.models import Challenge, CheckIn

_circles = sa.table("forums_circles", sa.column("id"))


def add_demo() -> None:
    """Create the demo challenge, check-ins and points, and commit them (after the circles' demo)."""
    people = {u.email.split("@")[0]: u for u in db.session.scalars(sa.select(User).where(
        User.email.in_(("creator@example.com", "member@example.com", "learner@example.com"))))}
    if len(people) < 3:
        return
    circle_id = db.session.scalar(sa.select(sa.func.min(_circles.c.id)))
    now = today()
    if circle_id is not None:
        challenge = Challenge(circle_id=circle_id, creator_id=people["creator"].id,
                              title="21 天读书打卡 · 21-day reading challenge",
                              prompt="今天读了什么？写一句收获。\n\nWhat did you read today? One line on what you took away.",
                              starts_on=now - timedelta(days=3), days=21, grace_days=1)
        db.session.add(challenge)
        db.session.flush()
        for name, back in (("member", 3), ("member", 2), ("member", 1), ("learner", 1)):
            day = now - timedelta(days=back)
            checkin = CheckIn(challenge_id=challenge.id, user_id=people[name].id, day=day, note="读完一章 · read a chapter")
            db.session.add(checkin)
            db.session.flush()
            rules.grant("daily_checkin", people[name].id, circle_id, f"gamification_checkins:{checkin.id}", day)
    for number in range(1, 4):
        rules.grant("lesson_completed", people["learner"].id, None, f"demo_lessons:{number}", now)
    boards.sweep(settle=timedelta(0))  # the demo is the only writer
    badges.sweep()
    engagement.sweep()
    db.session.commit()
