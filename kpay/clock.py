"""The minute clock: runs the ``kpay_schedules`` sweeps, each once per period across clocks;
and the site's own time (``site_now``, ``today``)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from kpay import jobs
from kpay.extensions import db
from kpay.hookspecs import hookimpl
from kpay.models import ScheduleRun
from kpay.models.base import utcnow
from kpay.transactions import insert_once
from kpay.types import Schedule

log = logging.getLogger("kpay.clock")


def tick(now=None) -> list[str]:
    """Run every sweep whose current period no clock has claimed yet; returns their names.

    A sweep runs in the first tick of each of its periods (``Schedule.slot``), so a tick that
    comes late or a clock that was down for the top of the hour still runs it. A sweep that
    raises is logged and does not stop the others; its claim stays, so it runs next period.
    """
    now = now or utcnow()
    zone = site_zone()
    ran = []
    for group in current_app.extensions["kpay"].pm.hook.kpay_schedules():
        for schedule in group or ():
            slot = schedule.slot(now, zone)
            if slot is None or not _claim(schedule.name, slot):
                continue
            try:
                schedule.func()
                db.session.commit()
                ran.append(schedule.name)
            except Exception:
                db.session.rollback()
                log.exception("sweep %s failed", schedule.name)
    return ran


def site_zone() -> ZoneInfo:
    """The site's time zone (``timezone`` in kpay.toml)."""
    return ZoneInfo(current_app.config["KPAY"]["timezone"])


def site_now() -> datetime:
    """The current time in the site's time zone (aware), moved by the tests' time machine."""
    return (utcnow() + time_machine_offset()).astimezone(site_zone())


def time_machine_offset() -> timedelta:
    """What a browser test added to the site's clock: the seconds in ``time_machine_file``."""
    path = current_app.config["KPAY"]["time_machine_file"]
    if not path:
        return timedelta(0)
    try:
        return timedelta(seconds=float(Path(path).read_text() or 0))
    except (OSError, ValueError):
        return timedelta(0)


def today() -> date:
    """Today's date in the site's time zone: a daily streak or a daily limit counts by it."""
    return site_now().date()


def run_forever(app: Flask, stop: threading.Event) -> None:
    """Tick at the start of every minute until ``stop`` is set."""
    while not stop.is_set():
        with app.app_context():
            try:
                tick()
            except Exception:
                log.exception("clock tick failed")
            finally:
                db.session.remove()
        stop.wait(60 - time.time() % 60 + 0.5)


def start_thread(app: Flask) -> threading.Event:
    """Start the clock in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(app, stop), name="kpay-clock", daemon=True).start()
    return stop


def _claim(name: str, slot: int) -> bool:
    claimed = insert_once(ScheduleRun, ("name", "slot"), name=name, slot=slot) is not None
    db.session.commit()
    return claimed


@hookimpl
def kpay_schedules():
    return [
        Schedule("jobs.relay", jobs.relay, minutes=1),
        Schedule("jobs.prune", jobs.prune, minutes=60),
        Schedule("clock.prune", prune_claims, minutes=60),
    ]


def prune_claims() -> None:
    """Forget schedule claims older than a week."""
    db.session.query(ScheduleRun).filter(ScheduleRun.ran_at < utcnow() - timedelta(days=7)).delete()
