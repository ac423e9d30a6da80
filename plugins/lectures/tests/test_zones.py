"""Hypothesis properties of wall times, zones and DST (RELIABILITY F7): a weekly lecture keeps
its local hour, times in a gap or an overlap are refused, "24 h before" is 24 real hours, and
a change of the zone's rules moves the UTC instant, not the wall time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.lectures import zones
from plugins.lectures.reminders import due_kind

ZONES = ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata")
# Days around the 2027 transitions of those zones (Lord Howe shifts by 30 minutes).
TRANSITIONS = (date(2027, 3, 14), date(2027, 11, 7), date(2027, 3, 28), date(2027, 10, 31), date(2027, 4, 4),
               date(2027, 10, 3))

near_transition = st.builds(lambda day, delta: day + timedelta(days=delta), st.sampled_from(TRANSITIONS),
                            st.integers(-10, 10))
wall_times = st.builds(lambda day, minute: datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute),
                       near_transition, st.integers(0, 24 * 60 - 1))


def _policy(local: datetime, name: str) -> str:
    try:
        zones.to_utc(local, name)
    except zones.WallTimeError as error:
        return error.reason
    return "ok"


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(ZONES), wall_times)
def test_a_refused_time_is_in_a_gap_or_overlap_and_an_accepted_one_round_trips(name, local):
    tz = zones.zone(name)
    verdict = _policy(local, name)
    if verdict == "ok":
        assert zones.to_utc(local, name).astimezone(tz).replace(tzinfo=None) == local
        return
    offsets = {local.replace(tzinfo=tz, fold=f).utcoffset() for f in (0, 1)}
    assert len(offsets) == 2
    round_trip = local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    assert (round_trip != local) == (verdict == "missing")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), near_transition, st.integers(6, 22), st.integers(2, 8))
def test_a_weekly_lecture_stays_at_its_local_hour_across_transitions(name, first_day, hour, weeks):
    local = datetime.combine(first_day, datetime.min.time()).replace(hour=hour)
    series = zones.weekly(local, name, first_day + timedelta(weeks=weeks - 1))
    assert len(series) == weeks
    for n, (wall, instant) in enumerate(series):
        assert wall == local + timedelta(weeks=n)
        assert instant.astimezone(zones.zone(name)).replace(tzinfo=None) == wall


@pytest.mark.parametrize(("name", "local", "reason"), [
    ("America/New_York", datetime(2027, 3, 14, 2, 30), "missing"),
    ("Europe/Berlin", datetime(2027, 3, 28, 2, 30), "missing"),
    ("Europe/Berlin", datetime(2027, 10, 31, 2, 30), "ambiguous"),
    ("Australia/Lord_Howe", datetime(2027, 10, 3, 2, 15), "missing"),
    ("Australia/Lord_Howe", datetime(2027, 4, 4, 1, 45), "ambiguous"),
    ("Asia/Kolkata", datetime(2027, 3, 28, 2, 30), "ok"),
])
def test_half_past_two_on_a_transition_day_follows_the_policy(name, local, reason):
    assert _policy(local, name) == reason


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(ZONES), wall_times)
def test_the_day_before_reminder_is_24_real_hours_before(app, name, local):
    if _policy(local, name) != "ok":
        return
    start = zones.to_utc(local, name)
    with app.app_context():
        assert due_kind(start, start - timedelta(hours=24, seconds=1)) is None
        assert due_kind(start, start - timedelta(hours=24)) == 1440
        assert due_kind(start, start - timedelta(minutes=15)) == 15


def test_a_change_of_zone_rules_moves_the_instant_and_keeps_the_wall_time():
    local = datetime(2027, 6, 1, 9, 0)
    assert zones.rederived(local, "Europe/Berlin", 2 * 3600) is None
    stale = 3 * 3600  # as if tzdata had said +03:00 when the lecture was scheduled
    instant, offset = zones.rederived(local, "Europe/Berlin", stale)
    assert offset == 2 * 3600 and instant == datetime(2027, 6, 1, 7, 0, tzinfo=UTC)
