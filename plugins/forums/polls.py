"""Poll voting: one ballot per member (a unique row), results after voting or after closing."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import db, emit, insert_once, utcnow
from plugins.forums.models import Ballot, Poll, PollOption, Topic


def is_closed(poll: Poll) -> bool:
    """True once the poll's closing time has passed."""
    return poll.closes_at is not None and poll.closes_at <= utcnow()


def ballot(user, poll: Poll) -> Ballot | None:
    """The member's ballot in the poll, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(Ballot).where(Ballot.topic_id == poll.topic_id, Ballot.user_id == user.id))


def shows_results(poll: Poll, voted: bool) -> bool:
    """True when results may be shown: after closing, or after voting if the creator allowed it."""
    return is_closed(poll) or (voted and poll.results_after == "vote")


def vote(user, topic: Topic, poll: Poll, option_ids: list[int]) -> bool:
    """Cast the member's one ballot in the poll of ``topic`` and emit ``poll.voted``; False
    when they had voted already (nothing changes)."""
    valid = {o.id for o in poll.options}
    choices = sorted(set(option_ids) & valid)
    if not choices or (not poll.multiple and len(choices) > 1):
        raise ValueError("choose one of the poll's answers")
    if insert_once(Ballot, ("topic_id", "user_id"), topic_id=poll.topic_id, user_id=user.id, choices=choices,
                   created_at=utcnow()) is None:
        return False
    db.session.execute(sa.update(PollOption).where(PollOption.id.in_(choices)).values(votes=PollOption.votes + 1))
    db.session.execute(sa.update(Poll).where(Poll.topic_id == poll.topic_id).values(voters=Poll.voters + 1))
    emit("poll.voted", user=user, subject=topic, topic_id=topic.id, circle_id=topic.circle_id, choices=choices)
    db.session.expire(poll)
    return True
