"""A lecture's life: scheduled (alone or as a weekly series), moved, cancelled, started, given a
replay; and the sweeps that announce starts and re-derive UTC instants when zone rules change."""

from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from kpay.api import User, db, emit, utcnow
from plugins.lectures import reminders, replays, seats, zones
from plugins.lectures.models import Lecture

FIELDS = ("title", "description", "speakers", "minutes", "capacity", "product_id", "membership_product_id",
          "provider", "meeting_url")


def schedule(creator: User, values: dict, local: datetime, zone: str, until: date | None = None) -> list[Lecture]:
    """Create a lecture at wall time ``local`` in ``zone`` (or a weekly series through ``until``)
    and announce it; raises ``zones.WallTimeError`` or ValueError as ``zones.weekly`` does."""
    moments = zones.weekly(local, zone, until) if until else [(local, zones.to_utc(local, zone))]
    series = secrets.token_hex(8) if until else None
    made = []
    for wall, instant in moments:
        lecture = Lecture(creator_id=creator.id, series=series, local_start=wall, zone=zone, starts_at=instant,
                          utc_offset=zones.offset_seconds(wall, zone), **{k: values[k] for k in FIELDS if k in values})
        db.session.add(lecture)
        made.append(lecture)
    db.session.flush()
    for lecture in made:
        emit("lecture.scheduled", user=creator, subject=lecture)
    return made


def update(lecture: Lecture, values: dict, local: datetime, zone: str) -> bool:
    """Change a lecture; a new time re-plans reminders and tells attendees at once. True when the time moved."""
    instant = zones.to_utc(local, zone)
    for name in FIELDS:
        if name in values:
            setattr(lecture, name, values[name])
    moved = instant != lecture.starts_at
    lecture.local_start, lecture.zone, lecture.starts_at = local, zone, instant
    lecture.utc_offset = zones.offset_seconds(local, zone)
    db.session.flush()
    seats.fill_free_seats(lecture)
    if moved:
        reminders.forget(lecture.id)
        when = f"{local:%Y-%m-%d %H:%M} ({zone})"
        seats.tell_attendees(lecture, _l("%(title)s moved to %(when)s", title=lecture.title, when=when),
                             f"lectures:moved:{lecture.id}:{int(instant.timestamp())}")
    return moved


def cancel(lecture: Lecture) -> None:
    """Cancel a lecture and tell its attendees and those in line, once."""
    if lecture.status == "cancelled":
        return
    lecture.status = "cancelled"
    seats.tell_attendees(lecture, _l("%(title)s was cancelled", title=lecture.title), f"lectures:cancelled:{lecture.id}")


def attach_replay(lecture: Lecture, url: str, notes: str, stored: tuple[str, str, int] | None = None) -> None:
    """Attach the recording (an embed address, and/or ``stored``: a file ``replays.store_recording``
    kept, which replaces the one before); the first time, tell attendees and those who were in line."""
    first = not lecture.has_replay
    lecture.replay_url, lecture.replay_notes = url, notes
    if stored is not None:
        replays.replace(lecture, stored)
    if first and lecture.has_replay:
        seats.tell_attendees(lecture, _l("The replay of %(title)s is ready", title=lecture.title),
                             f"lectures:replay:{lecture.id}", statuses=("going", "waiting", "not_going"))


def announce_started(now=None) -> int:
    """Emit ``lecture.started`` once for each lecture whose start has come; returns how many."""
    now = now or utcnow()
    started = db.session.scalars(
        sa.update(Lecture).where(Lecture.status == "scheduled", Lecture.started_at.is_(None),
                                 Lecture.starts_at <= now)
        .values(started_at=now).returning(Lecture)
    ).all()
    for lecture in started:
        emit("lecture.started", user=db.session.get(User, lecture.creator_id), subject=lecture)
    db.session.commit()
    return len(started)


def rederive_instants(now=None) -> int:
    """Derive again the UTC instant of every future lecture whose zone's rules changed (tzdata
    updated): the wall time stays, attendees are told, reminders re-planned. Returns how many moved."""
    now = now or utcnow()
    moved = 0
    for lecture in db.session.scalars(sa.select(Lecture).where(Lecture.status == "scheduled",
                                                                Lecture.starts_at > now)).all():
        changed = zones.rederived(lecture.local_start, lecture.zone, lecture.utc_offset)
        if changed is not None:
            update(lecture, {}, lecture.local_start, lecture.zone)
            moved += 1
    db.session.commit()
    return moved
