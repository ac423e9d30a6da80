"""The minute clock: each sweep once per period across clocks; one failing sweep stops no other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from kpay import clock, events, hookimpl, jobs
from kpay.extensions import db
from kpay.models import ActivityEvent, Job
from kpay.types import Schedule

NOON = datetime(2030, 5, 1, 12, 0, 10, tzinfo=UTC)


class Sweeps:
    """A plugin with a minutely digest sweep, an hourly cleanup and a broken reminder sweep."""

    @hookimpl
    def kpay_schedules(self):
        return [
            Schedule("test.digest", lambda: events.emit("digest.sent"), minutes=1),
            Schedule("test.cleanup", lambda: events.emit("cleanup.done"), minutes=60),
            Schedule("test.broken", self.broken, minutes=1),
        ]

    def broken(self):
        events.emit("reminder.half_written")
        raise RuntimeError("reminder template missing")


def sweep_events(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(ActivityEvent.name).order_by(ActivityEvent.id)).all()


def tick(app, now) -> list[str]:
    with app.app_context():
        return [name for name in clock.tick(now) if name.startswith("test.")]


@pytest.fixture
def app(make_app):
    return make_app(plugins=[Sweeps()])


def test_two_clocks_ticking_in_the_same_minute_run_each_sweep_once(app, make_app):
    other_clock = make_app(plugins=[Sweeps()], create_tables=False)

    assert tick(app, NOON) == ["test.digest", "test.cleanup"]
    assert tick(other_clock, NOON + timedelta(seconds=30)) == []
    assert tick(app, NOON) == []

    assert sweep_events(app) == ["digest.sent", "cleanup.done"]


def test_failing_sweep_is_rolled_back_and_the_others_still_run(app):
    assert tick(app, NOON) == ["test.digest", "test.cleanup"]
    assert "reminder.half_written" not in sweep_events(app)


def test_each_minute_runs_minutely_sweeps_and_each_hour_the_hourly_one(app):
    for minute in range(3):
        tick(app, NOON + timedelta(minutes=minute))
    tick(app, NOON + timedelta(hours=1))
    assert sweep_events(app).count("digest.sent") == 4
    assert sweep_events(app).count("cleanup.done") == 2


def test_hourly_sweep_runs_late_when_no_clock_ticked_at_the_top_of_the_hour(app):
    assert tick(app, NOON + timedelta(minutes=17)) == ["test.digest", "test.cleanup"]
    assert tick(app, NOON + timedelta(minutes=18)) == ["test.digest"]


def test_clock_relays_a_delayed_job_once_it_is_due(app, make_user):
    member = make_user()
    with app.app_context():
        jobs.enqueue_at(NOON + timedelta(minutes=5), events.emit, "lecture.reminder", member_id=member.id)
        db.session.commit()
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        tick(app, NOON + timedelta(minutes=1))
    assert "lecture.reminder" not in sweep_events(app)
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        tick(app, NOON + timedelta(minutes=5))
    assert sweep_events(app).count("lecture.reminder") == 1
    with app.app_context():
        assert db.session.scalar(sa.select(Job.status)) == "done"



class MorningNote:
    """A plugin whose reminder goes out at 08:30 on the site's clock."""

    @hookimpl
    def kpay_schedules(self):
        return [Schedule("test.morning", lambda: events.emit("morning.sent"), at="08:30")]


def test_a_daily_sweep_at_a_time_runs_once_a_day_at_that_time_in_the_sites_zone(make_app):
    app = make_app({"timezone": "Asia/Shanghai"}, plugins=[MorningNote()])
    shanghai_0829 = datetime(2030, 5, 1, 0, 29, tzinfo=UTC)  # 08:29 in Shanghai (UTC+8)
    assert tick(app, shanghai_0829) == []
    assert tick(app, shanghai_0829 + timedelta(minutes=1)) == ["test.morning"]
    assert tick(app, shanghai_0829 + timedelta(hours=5)) == []
    assert tick(app, shanghai_0829 + timedelta(days=1, hours=3)) == ["test.morning"]  # late: the clock was down
    assert sweep_events(app).count("morning.sent") == 2


@pytest.mark.parametrize("at", ["8:30", "24:00", "08:60", "noon"])
def test_a_schedule_at_a_time_that_is_not_hh_mm_is_refused(at):
    with pytest.raises(ValueError, match="at must be HH:MM"):
        Schedule("test.bad", print, at=at)


def test_today_and_site_now_follow_the_sites_zone_not_utc(make_app):
    app = make_app({"timezone": "Asia/Shanghai"})
    with app.app_context(), time_machine.travel(datetime(2030, 5, 1, 17, 0, tzinfo=UTC), tick=False):
        assert clock.today().isoformat() == "2030-05-02"
        assert clock.site_now().strftime("%H:%M %Z") == "01:00 CST"
