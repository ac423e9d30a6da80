"""Wall time in an IANA zone to the UTC instant and back, with the plugin's DST policy:
a local time that does not exist (skipped by spring-forward) or happens twice (fall-back) is
refused, never shifted silently (RELIABILITY F7). Weekly series are expanded in the
organizer's zone, so 09:00 stays 09:00 local across a change of offset."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, date, datetime, timedelta

MAX_WEEKS = 52


class WallTimeError(ValueError):
    """A wall time the policy refuses; ``reason`` is ``unknown``, ``missing`` or ``ambiguous``."""

    def __init__(self, reason: str, local: datetime | None = None):
        super().__init__(reason)
        self.reason = reason
        self.local = local


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name tzdata knows."""
    return frozenset(zoneinfo.available_timezones())


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone ``name``; WallTimeError("unknown") for a name tzdata does not know."""
    if name not in zone_names():
        raise WallTimeError("unknown")
    return zoneinfo.ZoneInfo(name)


def to_utc(local: datetime, name: str) -> datetime:
    """The UTC instant of naive wall time ``local`` in zone ``name``; WallTimeError when that
    time does not exist there or happens twice."""
    tz = zone(name)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # fold gives two offsets both for a gap and for an overlap; only a gap fails the round trip.
        back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        raise WallTimeError("missing" if back != local else "ambiguous", local)
    return first.astimezone(UTC)


def offset_seconds(local: datetime, name: str) -> int:
    """The UTC offset, in seconds, that zone ``name`` gives wall time ``local`` today."""
    offset = local.replace(tzinfo=zone(name)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def weekly(local: datetime, name: str, until: date) -> list[tuple[datetime, datetime]]:
    """(wall time, UTC instant) of a weekly series from ``local`` through ``until``, at the same
    wall time each week in zone ``name``; WallTimeError for the first week the policy refuses,
    ValueError when the series ends before it starts or runs past MAX_WEEKS."""
    if until < local.date():
        raise ValueError("ends before it starts")
    weeks = (until - local.date()).days // 7 + 1
    if weeks > MAX_WEEKS:
        raise ValueError("too long")
    moments = []
    for n in range(weeks):
        wall = local + timedelta(weeks=n)
        moments.append((wall, to_utc(wall, name)))
    return moments


def rederived(local: datetime, name: str, stored_offset: int) -> tuple[datetime, int] | None:
    """(new UTC instant, new offset) when the zone's rules now give ``local`` another offset than
    the ``stored_offset`` it was derived with; None when nothing changed (or the wall time no
    longer exists, which the caller reports instead of guessing)."""
    try:
        instant = to_utc(local, name)
    except WallTimeError:
        return None
    offset = offset_seconds(local, name)
    return None if offset == stored_offset else (instant, offset)


def in_zone(moment: datetime, name: str) -> datetime:
    """``moment`` (aware) as wall time in zone ``name``."""
    return moment.astimezone(zone(name))
