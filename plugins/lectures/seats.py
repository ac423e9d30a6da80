"""Taking and giving back seats: going, the waiting list, and promotion of the first in line.

A seat is taken by one conditional ``UPDATE`` of the lecture's ``going_count`` below its
capacity, and a member's answer moves only through conditional updates of their RSVP row, so a
double click, two tabs or two members racing for the last seat never take two seats.
"""

from __future__ import annotations

import sqlalchemy as sa

from flask_babel import lazy_gettext as _l

from kpay.api import User, db, emit, insert_once, notify, utcnow
from plugins.lectures.access import path_for
from plugins.lectures.models import Lecture, Rsvp

class RsvpRefused(Exception):
    """An RSVP the lecture cannot take (cancelled, or already over)."""

def _moved(rsvp_id: int, before: str, after: str) -> bool:
    """Move RSVP ``rsvp_id`` from ``before`` to ``after``; False when another request moved it first."""
    statement = sa.update(Rsvp).where(Rsvp.id == rsvp_id, Rsvp.status == before).values(status=after,
                                                                                         updated_at=utcnow())
    return db.session.execute(statement).rowcount == 1

def _take_seat(lecture_id: int) -> bool:
    statement = sa.update(Lecture).where(
        Lecture.id == lecture_id, sa.or_(Lecture.capacity.is_(None), Lecture.going_count < Lecture.capacity),
    ).values(going_count=Lecture.going_count + 1)
    return db.session.execute(statement).rowcount == 1

def going(lecture: Lecture, user: User) -> str:
    """Answer "going" for ``user``: a seat when one is free, else the waiting list. Returns the
    member's status after (``going`` or ``waiting``); an existing answer is kept as it is."""
    if lecture.status != "scheduled" or lecture.starts_at <= utcnow():
        raise RsvpRefused
    insert_once(Rsvp, ("lecture_id", "user_id"), lecture_id=lecture.id, user_id=user.id, status="not_going",
                created_at=utcnow(), updated_at=utcnow())
    rsvp = db.session.scalar(sa.select(Rsvp).filter_by(lecture_id=lecture.id, user_id=user.id)
                             .execution_options(populate_existing=True))
    if not _moved(rsvp.id, "not_going", "deciding"):
        db.session.refresh(rsvp)
        return rsvp.status
    status = "going" if _take_seat(lecture.id) else "waiting"
    _moved(rsvp.id, "deciding", status)
    db.session.refresh(rsvp)
    db.session.refresh(lecture)
    emit("lecture.rsvp", user=user, subject=lecture, status=status)
    return status

def not_going(lecture: Lecture, user: User) -> User | None:
    """Answer "not going" for ``user``, leaving a seat or the waiting list. A seat given back
    goes to the first in line, who is told; returns that member, or None."""
    rsvp = db.session.scalar(sa.select(Rsvp).filter_by(lecture_id=lecture.id, user_id=user.id))
    if rsvp is None or rsvp.status not in ("going", "waiting"):
        return None
    before = rsvp.status
    if not _moved(rsvp.id, before, "not_going"):
        return None
    emit("lecture.rsvp", user=user, subject=lecture, status="not_going")
    promoted = promote(lecture) if before == "going" else None
    db.session.refresh(lecture)
    return promoted

def promote(lecture: Lecture) -> User | None:
    """Give a freed seat to the first member in line (telling them), or free it; returns them."""
    waiting = db.session.scalars(sa.select(Rsvp).filter_by(lecture_id=lecture.id, status="waiting")
                                 .order_by(Rsvp.id).limit(20)).all()
    if lecture.status == "scheduled" and lecture.starts_at > utcnow():
        for rsvp in waiting:
            if _moved(rsvp.id, "waiting", "going"):
                return _tell_promoted(lecture, rsvp)
    db.session.execute(sa.update(Lecture).where(Lecture.id == lecture.id, Lecture.going_count > 0)
                       .values(going_count=Lecture.going_count - 1))
    return None

def fill_free_seats(lecture: Lecture) -> int:
    """Give seats freed by a larger capacity to those in line, first come first served (each
    told); returns how many moved up."""
    moved = 0
    for rsvp in db.session.scalars(sa.select(Rsvp).filter_by(lecture_id=lecture.id, status="waiting")
                                   .order_by(Rsvp.id).limit(200)).all():
        if not _take_seat(lecture.id):
            break
        if _moved(rsvp.id, "waiting", "going"):
            _tell_promoted(lecture, rsvp)
            moved += 1
        else:
            db.session.execute(sa.update(Lecture).where(Lecture.id == lecture.id)
                               .values(going_count=Lecture.going_count - 1))
    return moved


def _tell_promoted(lecture: Lecture, rsvp: Rsvp) -> User:
    member = db.session.get(User, rsvp.user_id)
    emit("lecture.rsvp", user=member, subject=lecture, status="going", promoted=True)
    notify(member, "lectures.changes", _l("A seat opened: you are going to %(title)s", title=lecture.title),
           path_for("lectures.lecture", lecture_id=lecture.id), key=f"lectures:promoted:{rsvp.id}")
    return member


def attendees(lecture_id: int, statuses=("going", "waiting"), limit: int | None = None) -> list[tuple[Rsvp, User]]:
    """(RSVP, member) of a lecture with the given statuses, status by status in that order, each
    in line order (at most ``limit`` of each): one index range per status."""
    rows = []
    for status in statuses:
        query = (sa.select(Rsvp, User).join(User, User.id == Rsvp.user_id)
                 .where(Rsvp.lecture_id == lecture_id, Rsvp.status == status).order_by(Rsvp.id).limit(limit))
        rows += [(rsvp, user) for rsvp, user in db.session.execute(query).all()]
    return rows


def tell_attendees(lecture: Lecture, text, key: str, statuses=("going", "waiting")) -> int:
    """Notify every attendee (and those in line) of ``text``, once per ``key``; returns how many."""
    url = path_for("lectures.lecture", lecture_id=lecture.id)
    told = 0
    for rsvp, member in attendees(lecture.id, statuses):
        told += notify(member, "lectures.changes", text, url, key=f"{key}:{rsvp.user_id}") is not None
    return told
