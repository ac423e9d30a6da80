"""Reminders before a lecture, sent exactly once per attendee and offset (RELIABILITY F6).

The minute sweep first writes a ``Reminder`` row for each confirmed attendee whose offset has
come (``UNIQUE(lecture_id, user_id, kind)``, inserted once), then claims each unsent row with a
conditional ``UPDATE ... WHERE sent_at IS NULL AND claimed_at IS NULL``, queues the notice
(bell and e-mail through ``notify``, whose outbox message has a deterministic Message-ID) and
marks it sent, committing the claim, the notice and ``sent_at`` together. Two workers: the second's
claim changes no row. A worker killed mid-batch: its uncommitted claim rolls back and the next
sweep sends it; a committed one was sent. So each reminder is sent once, never twice.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa

from flask_babel import lazy_gettext as _l

from kpay.api import User, db, insert_once, notify, utcnow
from plugins.lectures.access import path_for, settings
from plugins.lectures.models import Lecture, Reminder, Rsvp
from plugins.lectures.zones import in_zone

log = logging.getLogger(__name__)
BATCH = 500

def offsets() -> list[int]:
    """The reminder offsets in minutes before the start, largest first."""
    return sorted({int(m) for m in settings()["reminder_minutes"]}, reverse=True)

def due_kind(starts_at, now) -> int | None:
    """The offset whose reminder is due now: the nearest one that has come (a member who
    answered late, or a sweep that was down, gets one reminder, not a burst); None before the first."""
    come = [m for m in offsets() if starts_at - timedelta(minutes=m) <= now]
    return min(come) if come else None

def plan(now=None) -> int:
    """Write the reminder rows that are due for lectures starting soon; returns how many were new."""
    now = now or utcnow()
    horizon = now + timedelta(minutes=max(offsets(), default=0))
    rows = db.session.execute(
        sa.select(Lecture.id, Lecture.starts_at, Rsvp.user_id)
        .join(Rsvp, sa.and_(Rsvp.lecture_id == Lecture.id, Rsvp.status == "going"))
        .where(Lecture.status == "scheduled", Lecture.starts_at > now, Lecture.starts_at <= horizon)
    ).all()
    new = 0
    for lecture_id, starts_at, user_id in rows:
        kind = due_kind(starts_at, now)
        if kind is not None:
            new += insert_once(Reminder, ("lecture_id", "user_id", "kind"), lecture_id=lecture_id, user_id=user_id,
                               kind=kind, due_at=starts_at - timedelta(minutes=kind)) is not None
    db.session.commit()
    return new

def send_due(now=None) -> int:
    """Claim and send every unsent reminder whose lecture is still ahead; returns how many this call sent."""
    now = now or utcnow()
    ids = db.session.scalars(sa.select(Reminder.id).where(Reminder.sent_at.is_(None), Reminder.due_at <= now)
                             .order_by(Reminder.due_at).limit(BATCH)).all()
    db.session.commit()
    sent = 0
    for reminder_id in ids:
        token = secrets.token_hex(8)
        claimed = db.session.execute(
            sa.update(Reminder).where(Reminder.id == reminder_id, Reminder.sent_at.is_(None),
                                      Reminder.claimed_at.is_(None))
            .values(claimed_at=utcnow(), claim_token=token)
        ).rowcount == 1
        if claimed and _send(db.session.get(Reminder, reminder_id), now):
            sent += 1
        db.session.commit()
    return sent

def _send(reminder: Reminder, now) -> bool:
    lecture = db.session.get(Lecture, reminder.lecture_id)
    member = db.session.get(User, reminder.user_id)
    going = db.session.scalar(sa.select(Rsvp.status).filter_by(lecture_id=lecture.id, user_id=member.id))
    reminder.sent_at = utcnow()
    if lecture.status != "scheduled" or lecture.starts_at <= now or going != "going":
        return False  # marked done without a notice: nothing left to remind of
    when = in_zone(lecture.starts_at, lecture.zone).strftime("%Y-%m-%d %H:%M")
    text = _l("Reminder: %(title)s starts at %(when)s (%(zone)s)", title=lecture.title, when=when, zone=lecture.zone)
    notify(member, "lectures.reminders", text, path_for("lectures.lecture", lecture_id=lecture.id),
           key=f"lectures:reminder:{lecture.id}:{reminder.kind}:{int(lecture.starts_at.timestamp())}")
    return True

def sweep() -> None:
    """The minute sweep: plan the due reminders, then send them."""
    plan()
    send_due()

def forget(lecture_id: int) -> None:
    """Drop a lecture's reminders after its time changed, so they are planned for the new time."""
    db.session.execute(sa.delete(Reminder).where(Reminder.lecture_id == lecture_id))
