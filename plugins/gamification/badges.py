"""Badges, defined as data, and the sweep that awards each once (a unique (member, badge) row:
two workers sweeping at once award it once, and only the winner notifies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from plugins.gamification.paths import path_for
from kpay.api import PointsEntry, User, db, emit, insert_once, notify, utcnow
from plugins.gamification import checkins
from plugins.gamification.models import BadgeAward, Challenge, CheckIn


@dataclass(frozen=True)
class Badge:
    """A badge: its name, label, description, icon (a character or two that common fonts have) and rule.

    ``rule`` is ``("grants", <points rule>, n)`` (n grants of that rule not taken back),
    ``("streak", n)`` (n check-in days running in one challenge) or ``("early", n)`` (one of
    the first n members). Challenge completion badges (``challenge:<id>``) are made per challenge.
    """

    name: str
    label: str
    description: str
    icon: str
    rule: tuple


def settings() -> dict:
    return current_app.config["KPAY"]["plugins"]["gamification"]


def defined() -> list[Badge]:
    """The badges of this site (thresholds from the settings)."""
    s = settings()
    return [
        Badge("first_post", _l("First post"), _l("Wrote a first post in a circle."), "✍", ("grants", "first_post_of_day", 1)),
        Badge("first_course", _l("First course completed"), _l("Finished a whole course."), "★",
              ("grants", "course_completed", 1)),
        Badge("streak_7", _l("7-day streak"), _l("Checked in seven days running."), "7", ("streak", 7)),
        Badge("streak_30", _l("30-day streak"), _l("Checked in thirty days running."), "30", ("streak", 30)),
        Badge("helpful", _l("Helpful answerer"), _l("Had %(n)s answers accepted.", n=s["helpful_answers"]), "✔",
              ("grants", "answer_accepted", s["helpful_answers"])),
        Badge("top_referrer", _l("Top referrer"), _l("Brought %(n)s paying members.", n=s["top_referrals"]), "♥",
              ("grants", "referral_converted", s["top_referrals"])),
        Badge("early_member", _l("Early member"), _l("One of the first %(n)s members.", n=s["early_members"]), "☀",
              ("early", s["early_members"])),
    ]


def describe(name: str, titles: dict[int, str] | None = None) -> Badge:
    """The badge called ``name`` (a completion badge names its challenge from ``titles``)."""
    for badge in defined():
        if badge.name == name:
            return badge
    title = (titles or {}).get(int(name.split(":")[1]), "") if name.startswith("challenge:") else name
    return Badge(name, _l("Completed: %(title)s", title=title), _l("Checked in every day of a challenge."), "✓", ())


def _grants(rule: str, n: int) -> list[int]:
    """Members with at least ``n`` grants of ``rule`` still standing (grants minus reversals)."""
    net = sa.func.sum(sa.case((PointsEntry.amount > 0, 1), else_=-1))
    return list(db.session.scalars(sa.select(PointsEntry.user_id).where(sa.or_(
        PointsEntry.key.like(f"gam:{rule}:%"), PointsEntry.key.like(f"gam:rev:gam:{rule}:%")))
        .group_by(PointsEntry.user_id).having(net >= n)))


def _streaks(n: int) -> list[int]:
    days: dict[tuple[int, int], set[date]] = {}
    for challenge_id, user_id, day in db.session.execute(sa.select(CheckIn.challenge_id, CheckIn.user_id, CheckIn.day)):
        days.setdefault((challenge_id, user_id), set()).add(day)
    return sorted({user for (_, user), found in days.items() if checkins.longest_streak(found) >= n})


def _early(n: int) -> list[int]:
    return list(db.session.scalars(sa.select(User.id).order_by(User.id).limit(n)))


def _completions() -> list[tuple[int, str]]:
    """(member, badge name) for each member who checked in on every day of a challenge (of the
    days it ran, when it was ended early)."""
    lengths = {c.id: checkins.length(c) for c in db.session.scalars(sa.select(Challenge))}
    rows = db.session.execute(sa.select(CheckIn.user_id, CheckIn.challenge_id, sa.func.count(CheckIn.id))
                              .group_by(CheckIn.user_id, CheckIn.challenge_id))
    return [(user_id, f"challenge:{challenge_id}") for user_id, challenge_id, n in rows
            if lengths.get(challenge_id) and n >= lengths[challenge_id]]


def earners() -> list[tuple[int, str]]:
    """(member, badge) for every badge a member qualifies for now."""
    found = []
    for badge in defined():
        kind, *args = badge.rule
        ids = {"grants": _grants, "streak": _streaks, "early": _early}[kind](*args)
        found.extend((user_id, badge.name) for user_id in ids)
    return found + _completions()


def sweep() -> int:
    """Sweep: award every badge earned and not yet held; returns how many were awarded."""
    awarded = 0
    for user_id, name in earners():
        if insert_once(BadgeAward, ("user_id", "badge"), user_id=user_id, badge=name, earned_at=utcnow()) is None:
            continue
        user = db.session.get(User, user_id)
        if user is None:
            continue
        awarded += 1
        emit("badge.earned", user=user, badge=name)
        notify(user, "gamification.earned", _l("You earned a badge: %(name)s", name=describe(name).label),
               path_for("gamification.me"), key=f"gamification.badge:{user_id}:{name}")
    return awarded


def held(user_id: int) -> list[tuple[Badge, BadgeAward]]:
    """The member's badges with the dates they were earned, newest first (one query)."""
    named = BadgeAward.badge == sa.literal("challenge:") + sa.cast(Challenge.id, sa.String)
    rows = db.session.execute(sa.select(BadgeAward, Challenge.id, Challenge.title).outerjoin(Challenge, named)
                              .where(BadgeAward.user_id == user_id)
                              .order_by(BadgeAward.earned_at.desc(), BadgeAward.id.desc())).all()
    titles = {challenge_id: title for _, challenge_id, title in rows if challenge_id is not None}
    return [(describe(award.badge, titles), award) for award, _, _ in rows]
