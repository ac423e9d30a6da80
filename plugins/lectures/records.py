"""The lectures' records for others: search documents (never the meeting link), and a member's
data to export or erase."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from kpay.api import SearchDocument, User, db
from plugins.lectures import seats
from plugins.lectures.access import path_for
from plugins.lectures.models import FeedToken, Lecture, Question, Reminder, Rsvp, Vote


def search_documents(since) -> Iterator[SearchDocument]:
    """Lectures changed after ``since`` (all when None): title, speakers and description are
    public, as on the lecture's page; the replay notes are for those with access; cancelled ones are gone."""
    query = sa.select(Lecture.id, Lecture.title, Lecture.speakers, Lecture.description, Lecture.replay_notes,
                      Lecture.status, Lecture.updated_at)
    if since is not None:
        query = query.where(Lecture.updated_at > since)
    for ident, title, speakers, description, notes, status, updated_at in db.session.execute(query.order_by(Lecture.id)):
        url = path_for("lectures.lecture", lecture_id=ident)
        gone = status == "cancelled"
        yield SearchDocument("lecture", str(ident), title, "" if gone else f"{speakers}\n{description}", url,
                             "gone" if gone else "public", updated_at)
        if notes:
            yield SearchDocument("lecture-replay", str(ident), title, "" if gone else notes, url,
                                 "gone" if gone else f"lecture:{ident}", updated_at)


def export(user) -> dict | None:
    """The member's RSVPs and questions, or None when there are none."""
    rsvps = db.session.execute(sa.select(Rsvp, Lecture.title).join(Lecture, Lecture.id == Rsvp.lecture_id)
                               .where(Rsvp.user_id == user.id).order_by(Rsvp.id)).all()
    questions = db.session.scalars(sa.select(Question).where(Question.user_id == user.id).order_by(Question.id)).all()
    if not rsvps and not questions:
        return None
    return {
        "rsvps": [{"lecture": title, "lecture_id": r.lecture_id, "status": r.status, "since": r.updated_at,
                   "attended_at": r.attended_at} for r, title in rsvps],
        "questions": [{"lecture_id": q.lecture_id, "question": q.body, "votes": q.votes, "asked_at": q.created_at}
                      for q in questions],
    }


def erase(user: User) -> None:
    """Give back the member's seats (the first in line gets each), then delete their RSVPs,
    questions, votes, reminders and feed token. Lectures the member organized stay."""
    for lecture in db.session.scalars(sa.select(Lecture).join(Rsvp, Rsvp.lecture_id == Lecture.id)
                                      .where(Rsvp.user_id == user.id, Rsvp.status == "going")).all():
        seats.not_going(lecture, user)
    voted = sa.select(Vote.question_id).where(Vote.user_id == user.id).scalar_subquery()
    db.session.execute(sa.update(Question).where(Question.id.in_(voted)).values(votes=Question.votes - 1))
    for model in (Vote, Question, Reminder, Rsvp, FeedToken):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))
