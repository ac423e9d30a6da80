"""Check-in challenges (打卡): one check-in per member per site day, make-up days within the
challenge's grace, streaks, the challenge's board, and the evening reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from kpay.api import (
    User, db, emit, forget_upload, insert_once, notify, picture_webp, read_limited, store, today,
)
from plugins.gamification import circles, rules
from plugins.gamification.rules import settings
from plugins.gamification.paths import path_for
from plugins.gamification.models import Challenge, CheckIn


class CheckInRefused(Exception):
    """A check-in the rules do not allow; its message says why (shown beside the form)."""


PHOTOS = "checkins"  # the storage folder of check-in photos
PHOTO_SIZE = (960, 720)


def last_day(challenge: Challenge) -> date:
    """The challenge's last day: as planned, or the day it was ended early."""
    planned = challenge.starts_on + timedelta(days=challenge.days - 1)
    return min(planned, challenge.ended_on) if challenge.ended_on else planned


def length(challenge: Challenge) -> int:
    """How many days the challenge runs (fewer than planned when it was ended early)."""
    return max((last_day(challenge) - challenge.starts_on).days + 1, 0)


def is_running(challenge: Challenge, day: date | None = None) -> bool:
    day = day or today()
    return challenge.starts_on <= day <= last_day(challenge)


def store_photo(stream) -> str:
    """Store a check-in's photo, re-encoded as a fresh WebP (``PHOTO_SIZE``, cropped around its
    centre); its name. Raises ``UploadError`` with a message for the member (too large, not a
    picture)."""
    data = read_limited(stream, settings()["photo_max_mb"], too_large=_l("This picture is larger than %(mb)s MB."),
                        empty=_l("Choose a picture to upload."))
    return store(PHOTOS, "webp", picture_webp(data, PHOTO_SIZE, quality=80))


def photos_in_use() -> list[str]:
    """Keys of the check-ins' photos (for ``kpay storage check`` and the orphan sweep)."""
    return [f"{PHOTOS}/{name}" for name in db.session.scalars(sa.select(CheckIn.photo).where(CheckIn.photo.is_not(None)))]


def check_in(challenge: Challenge, user: User, note: str, day: date | None = None,
             photo: str | None = None) -> CheckIn | None:
    """Check the member in for ``day`` (today in the site's zone by default; an earlier day is a
    make-up within the grace) with a note and a stored ``photo``. Returns the new check-in, or
    None when that day was checked in already (a double click, a second tab: the photo is then
    dropped once committed). Raises CheckInRefused for a day out of bounds."""
    now = today()
    day = day or now
    if day > now or not is_running(challenge, day):
        raise CheckInRefused(_l("This challenge does not take check-ins for that day."))
    if day < now - timedelta(days=challenge.grace_days):
        raise CheckInRefused(_l("That day is past the %(n)s days allowed to make up.", n=challenge.grace_days))
    checkin_id = insert_once(CheckIn, ("challenge_id", "user_id", "day"), challenge_id=challenge.id, user_id=user.id,
                             day=day, note=note.strip()[:500], made_up=day < now, photo=photo)
    if checkin_id is None:
        forget_upload(PHOTOS, photo)
        return None
    checkin = db.session.get(CheckIn, checkin_id)
    emit("checkin.created", user=user, subject=checkin, challenge_id=challenge.id, day=day.isoformat())
    rules.grant("daily_checkin", user.id, challenge.circle_id, f"gamification_checkins:{checkin_id}", now)
    return checkin


def current_streak(days: set[date], now: date) -> int:
    """Consecutive days checked in up to today (or up to yesterday while today is still open)."""
    day = now if now in days else now - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def longest_streak(days: set[date]) -> int:
    """The longest run of consecutive days in ``days``."""
    best = 0
    for day in days:
        if day - timedelta(days=1) not in days:
            run = 1
            while day + timedelta(days=run) in days:
                run += 1
            best = max(best, run)
    return best


def days_column(user, challenge_id):
    """The days the member checked in to the challenge, as one comma-separated ``YYYY-MM-DD``
    string (None for none), a column of another query."""
    if not getattr(user, "is_authenticated", False):
        return sa.null()
    return sa.select(sa.func.aggregate_strings(sa.cast(CheckIn.day, sa.String), ",")).where(
        CheckIn.challenge_id == challenge_id, CheckIn.user_id == user.id).scalar_subquery()


def my_streak(user_id: int) -> int:
    """The member's best current streak across the challenges they check in to (one query)."""
    rows = db.session.execute(sa.select(CheckIn.challenge_id, CheckIn.day).where(
        CheckIn.user_id == user_id, CheckIn.day >= today() - timedelta(days=400))).all()
    by_challenge: dict[int, set[date]] = {}
    for challenge_id, day in rows:
        by_challenge.setdefault(challenge_id, set()).add(day)
    return max((current_streak(days, today()) for days in by_challenge.values()), default=0)


@dataclass(frozen=True)
class BoardLine:
    rank: int
    user: User
    checkins: int


def recent(challenge_id: int, limit: int = 20) -> list[tuple[CheckIn, User]]:
    """The challenge's latest check-ins with their members, newest first (one query)."""
    return list(db.session.execute(sa.select(CheckIn, User).join(User, User.id == CheckIn.user_id)
                                   .where(CheckIn.challenge_id == challenge_id)
                                   .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(limit)).all())


def board(challenge_id: int, limit: int = 20) -> list[BoardLine]:
    """The challenge's leaderboard: most check-ins first, earliest to reach them first on a tie."""
    count = sa.func.count(CheckIn.id).label("n")
    last = sa.func.max(CheckIn.created_at).label("last")
    rows = db.session.execute(
        sa.select(User, count).join(CheckIn, CheckIn.user_id == User.id).where(CheckIn.challenge_id == challenge_id)
        .group_by(User.id).order_by(count.desc(), last, User.id).limit(limit)).all()
    return [BoardLine(rank, user, n) for rank, (user, n) in enumerate(rows, start=1)]


def remind() -> None:
    """Sweep (daily at ``reminder_at``): tell members of running challenges' circles who have
    not checked in today; once per member, challenge and day."""
    now = today()
    running = db.session.scalars(sa.select(Challenge).where(
        Challenge.starts_on <= now)).all()
    for challenge in running:
        if not is_running(challenge, now):
            continue
        done = set(db.session.scalars(sa.select(CheckIn.user_id).where(CheckIn.challenge_id == challenge.id,
                                                                        CheckIn.day == now)))
        waiting = [i for i in circles.member_ids(challenge.circle_id) if i not in done]
        members = db.session.scalars(sa.select(User).where(User.id.in_(waiting), User.status == "active")).all()
        for member in members:
            notify(member, "gamification.reminder",
                   _l("You have not checked in to %(title)s today", title=challenge.title),
                   path_for("gamification.challenge", challenge_id=challenge.id),
                   key=f"gamification.remind:{challenge.id}:{now.isoformat()}")
