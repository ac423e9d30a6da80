"""Points rules: which activity event earns whom how many points, the daily caps, and the
reversals when the thing that earned them is deleted, hidden, refunded or unliked.

Every grant is a core ledger entry keyed ``gam:<rule>:c<circle>:<item>:u<member>[...]`` (circle
0 when the item is not in a circle), so a replayed event grants once, a leaderboard per circle
is a sum over keys, and a reversal (key ``gam:rev:<key>``) takes back exactly what that entry
gave, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from kpay.api import Event, PointsEntry, User, award, db, insert_once, site_now
from plugins.gamification import circles
from plugins.gamification.models import DailyUse, Grant

REVERSAL = "gam:rev:"


@dataclass(frozen=True)
class Rule:
    """A way to earn points: its setting name, label, default points and default daily cap (0: none)."""

    name: str
    label: str
    points: int
    cap: int


RULES = {rule.name: rule for rule in (
    Rule("lesson_completed", _l("Lesson completed"), 5, 20),
    Rule("course_completed", _l("Course completed"), 50, 0),
    Rule("review_written", _l("Review written"), 10, 3),
    Rule("question_asked", _l("Question asked"), 3, 5),
    Rule("answer_accepted", _l("Answer accepted"), 15, 0),
    Rule("reply_liked", _l("Reply liked"), 1, 20),
    Rule("lecture_attended", _l("Lecture attended"), 10, 0),
    Rule("referral_converted", _l("Referral converted"), 30, 0),
    Rule("daily_checkin", _l("Daily check-in"), 2, 1),
    Rule("first_post_of_day", _l("First post of the day"), 2, 1),
)}


def settings() -> dict:
    """The plugin's settings (``[plugins.gamification]``)."""
    return current_app.config["KPAY"]["plugins"]["gamification"]


def points_for(rule: str) -> int:
    return settings()[f"points_{rule}"]


def cap_for(rule: str) -> int:
    return settings()[f"cap_{rule}"]


def key_for(rule: str, circle_id: int | None, item: str, user_id: int) -> str:
    """The ledger key of one grant (see the module's docstring)."""
    return f"gam:{rule}:c{circle_id or 0}:{item}:u{user_id}"


def grant(rule: str, user_id: int | None, circle_id: int | None, item: str, day: date) -> bool:
    """Award ``rule``'s points to the member for ``item``, once, within the rule's daily cap
    for ``day``; True when points were added. Part of the caller's transaction."""
    amount = points_for(rule)
    user = db.session.get(User, user_id) if user_id else None
    if amount <= 0 or user is None:
        return False
    key = key_for(rule, circle_id, item, user.id)
    with db.session.begin_nested() as savepoint:
        if not award(user, amount, f"gamification.{rule}", key):
            savepoint.rollback()
            return False
        if not _within_cap(user.id, rule, day):
            savepoint.rollback()
            return False
        db.session.add(Grant(key=key, rule=rule, subject=subject_of(item), item=item, user_id=user.id))
    from plugins.gamification import levels

    levels.after_change(user, amount, f"gamification.{rule}")
    return True


def _within_cap(user_id: int, rule: str, day: date) -> bool:
    """Take one of the day's uses of ``rule`` (a conditional UPDATE, so two workers cannot
    both take the last); False when the cap is reached."""
    cap = cap_for(rule)
    if cap <= 0:
        return True
    insert_once(DailyUse, ("user_id", "rule", "day"), user_id=user_id, rule=rule, day=day, used=0)
    taken = db.session.execute(
        sa.update(DailyUse).where(DailyUse.user_id == user_id, DailyUse.rule == rule, DailyUse.day == day,
                                  DailyUse.used < cap).values(used=DailyUse.used + 1)
    ).rowcount
    return taken == 1


def subject_of(item: str) -> str:
    """What a grant's item is about: its first two parts (``forums_posts:1`` of a like's
    ``forums_posts:1:by7``)."""
    return ":".join(item.split(":", 2)[:2])


def reverse(item: str, user_id: int | None = None, rule: str | None = None) -> int:
    """Take back every grant for ``item`` (of that member and rule when given), each once;
    returns how many were reversed. Never more than the grant gave. Without a member, an item
    such as ``forums_posts:1`` also reaches the grants about it (its likes). Found through
    ``gamification_grants``' index on the subject, then the ledger's unique key."""
    from plugins.gamification import levels

    found = sa.select(Grant.key).where(Grant.subject == subject_of(item))
    if item != subject_of(item) or user_id:
        found = found.where(Grant.item == item)
    if user_id:
        found = found.where(Grant.user_id == user_id)
    if rule:
        found = found.where(Grant.rule == rule)
    entries = db.session.scalars(sa.select(PointsEntry).where(
        PointsEntry.key.in_(found.scalar_subquery()), PointsEntry.amount > 0).order_by(PointsEntry.id)).all()
    done = 0
    for entry in entries:
        member = db.session.get(User, entry.user_id)
        if member is not None and award(member, -entry.amount, entry.reason, REVERSAL + entry.key):
            done += 1
            levels.after_change(member, -entry.amount, entry.reason)
    return done


def site_day(event: Event) -> date:
    """The site day an event happened on (its time in the site's zone, so a replay agrees)."""
    return event.created_at.astimezone(site_now().tzinfo).date()


def on_event(event: Event) -> None:
    """Grant or take back points for one activity event (see RULES)."""
    handler = HANDLERS.get(event.name)
    if handler is not None:
        handler(event)


def _item(event: Event) -> str:
    return f"{event.subject_type}:{event.subject_id}"


def _lesson(event: Event) -> None:
    grant("lesson_completed", event.user_id, None, _item(event), site_day(event))


def _course(event: Event) -> None:
    grant("course_completed", event.user_id, None, _item(event), site_day(event))


def _review(event: Event) -> None:
    grant("review_written", event.user_id, None, _item(event), site_day(event))


def _topic(event: Event) -> None:
    topic = circles.topic(int(event.subject_id))
    if topic is None:
        return
    post = circles.opening_post(topic.id)
    if topic.kind == "question":
        grant("question_asked", event.user_id, topic.circle_id, _item(event), site_day(event))
    if post is not None:
        grant("first_post_of_day", event.user_id, topic.circle_id, f"forums_posts:{post}", site_day(event))


def _reply(event: Event) -> None:
    grant("first_post_of_day", event.user_id, circles.post_circle(int(event.subject_id)), _item(event), site_day(event))


def _liked(event: Event) -> None:
    author = event.data.get("author_id")
    if author and author != event.user_id:  # no points for liking one's own post
        grant("reply_liked", author, circles.post_circle(int(event.subject_id)), f"{_item(event)}:by{event.user_id}",
              site_day(event))


def _unliked(event: Event) -> None:
    reverse(f"{_item(event)}:by{event.user_id}", event.data.get("author_id"), "reply_liked")


def _accepted(event: Event) -> None:
    author = event.data.get("author_id")
    if author and author != event.user_id:  # accepting one's own answer earns nothing
        grant("answer_accepted", author, circles.post_circle(int(event.subject_id)), _item(event), site_day(event))


def _unaccepted(event: Event) -> None:
    reverse(_item(event), rule="answer_accepted")


def _removed(event: Event) -> None:
    """A post deleted or hidden: its grants go, and its topic's when it opened the topic."""
    reverse(_item(event))
    if event.data.get("number") == 1 and event.data.get("topic_id"):
        reverse(f"forums_topics:{event.data['topic_id']}")


def _lecture(event: Event) -> None:
    grant("lecture_attended", event.user_id, event.data.get("circle_id"), _item(event), site_day(event))


def _referral(event: Event) -> None:
    referrer = event.data.get("referrer_id") or event.user_id
    order = event.data.get("order_id")
    item = f"orders:{order}" if order else _item(event)
    grant("referral_converted", referrer, None, item, site_day(event))


def _refunded(event: Event) -> None:
    reverse(f"orders:{event.subject_id}")


HANDLERS = {
    "lesson.completed": _lesson,
    "course.completed": _course,
    "review.created": _review,
    "topic.created": _topic,
    "reply.created": _reply,
    "post.liked": _liked,
    "post.unliked": _unliked,
    "answer.accepted": _accepted,
    "answer.unaccepted": _unaccepted,
    "post.removed": _removed,
    "lecture.attended": _lecture,
    "referral.converted": _referral,
    "order.refunded": _refunded,
}
