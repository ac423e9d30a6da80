"""iCalendar files: one lecture's ``.ics``, and a member's private feed of the lectures they are
going to, each event with an alarm per reminder offset. Never the meeting link: a calendar
file is forwarded, synced and cached far beyond the site's access checks."""

from __future__ import annotations

import secrets
from datetime import timedelta

import icalendar
import sqlalchemy as sa
from flask import request

from kpay.api import db, insert_once, utcnow
from plugins.lectures.access import path_for
from plugins.lectures.models import FeedToken, Lecture, Rsvp
from plugins.lectures.reminders import offsets
from plugins.lectures.zones import in_zone

FEED_DAYS_BACK = 30


def calendar(lectures: list[Lecture], name: str) -> bytes:
    """An iCalendar file of ``lectures``, their times in the organizer's zone (with VTIMEZONE)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//KPay//lectures//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    host = request.host if request else "kpay"
    for lecture in lectures:
        event = icalendar.Event()
        event.add("uid", f"lecture-{lecture.id}@{host}")
        event.add("dtstamp", lecture.updated_at or utcnow())
        event.add("dtstart", in_zone(lecture.starts_at, lecture.zone))
        event.add("dtend", in_zone(lecture.ends_at, lecture.zone))
        event.add("summary", lecture.title)
        event.add("description", lecture.description[:2000])
        event.add("url", request.host_url.rstrip("/") + path_for("lectures.lecture", lecture_id=lecture.id))
        event.add("status", "CANCELLED" if lecture.status == "cancelled" else "CONFIRMED")
        for minutes in offsets():
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", lecture.title)
            alarm.add("trigger", timedelta(minutes=-minutes))
            event.add_component(alarm)
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def feed_lectures(user_id: int) -> list[Lecture]:
    """The lectures ``user_id`` is going to, from a month back on."""
    return db.session.scalars(
        sa.select(Lecture).join(Rsvp, Rsvp.lecture_id == Lecture.id)
        .where(Rsvp.user_id == user_id, Rsvp.status == "going",
               Lecture.starts_at >= utcnow() - timedelta(days=FEED_DAYS_BACK))
        .order_by(Lecture.starts_at).limit(500)
    ).all()


def feed_token(user_id: int, renew: bool = False) -> str:
    """The member's feed token, made on first use; ``renew`` replaces it (the old URL stops working)."""
    if renew:
        db.session.execute(sa.delete(FeedToken).where(FeedToken.user_id == user_id))
    insert_once(FeedToken, ("user_id",), user_id=user_id, token=secrets.token_urlsafe(32), created_at=utcnow())
    return db.session.scalar(sa.select(FeedToken.token).where(FeedToken.user_id == user_id))


def feed_owner_token(user_id: int) -> str | None:
    """The member's current feed token, or None before they asked for one."""
    return db.session.scalar(sa.select(FeedToken.token).where(FeedToken.user_id == user_id))


def feed_owner(token: str) -> int | None:
    """The member whose feed ``token`` is, or None for a revoked or made-up one."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(FeedToken.user_id).where(FeedToken.token == token))
