"""The minute clock: runs the ``kpay_schedules`` sweeps, each once per period across clocks."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

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

    A sweep every ``minutes`` minutes runs in the first tick of each period, so a tick that
    comes late or a clock that was down for the top of the hour still runs it. A sweep that
    raises is logged and does not stop the others; its claim stays, so it runs next period.
    """
    minute = int((now or utcnow()).timestamp() // 60)
    ran = []
    for group in current_app.extensions["kpay"].pm.hook.kpay_schedules():
        for schedule in group or ():
            if not _claim(schedule.name, minute // schedule.minutes):
                continue
            try:
                schedule.func()
                db.session.commit()
                ran.append(schedule.name)
            except Exception:
                db.session.rollback()
                log.exception("sweep %s failed", schedule.name)
    return ran


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
