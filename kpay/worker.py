"""``kpay worker``: rq jobs from Redis while it answers, the database outbox while it does not.

The worker outlives Redis (F18). rq's own worker waits out a lost connection inside its
dequeue loop (running nothing meanwhile) and quits on one lost mid-job; this one hands the
outage back to ``run``, which says so once, runs due jobs straight from the outbox, asks
Redis again with a growing pause, and when Redis answers says so once more, relays what
waited and works the queue again. Without ``redis_url`` it only runs the outbox. Either way
the minute clock keeps ticking, and a job whose worker was killed runs again once its lease
is over (``kpay.jobs.relay`` and ``run_due`` take expired leases back).
"""

from __future__ import annotations

import logging
import time

from flask import Flask
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.exceptions import DequeueTimeout, StopRequested
from rq.worker.base import WorkerStatus

from kpay import clock, jobs
from kpay.extensions import db

log = logging.getLogger("kpay.worker")

BACKOFF_SECONDS = (1, 2, 5, 10, 30)
OUTBOX_POLL_SECONDS = 2
DEQUEUE_SECONDS = 10


class RedisLost(Exception):
    """Redis stopped answering while the worker waited for a job."""


class OutageAwareWorker(SimpleWorker):
    """rq's in-process worker, except that a lost connection ends ``work()`` at once."""

    redis_lost = False

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        """The next job, as rq's; a connection error ends the work loop instead of a retry."""
        self.set_state(WorkerStatus.IDLE)
        while True:
            try:
                self.heartbeat()
                if self.should_run_maintenance_tasks:
                    self.run_maintenance_tasks()
                return self.queue_class.dequeue_any(
                    self._ordered_queues, None if timeout is None else min(timeout, DEQUEUE_SECONDS),
                    connection=self.connection, job_class=self.job_class, serializer=self.serializer,
                    death_penalty_class=self.death_penalty_class,
                )
            except DequeueTimeout:
                continue
            except RedisError:
                self.redis_lost = True
                raise StopRequested() from None


def run(app: Flask, burst: bool = False, with_clock: bool = True) -> None:
    """Work until stopped (or, with ``burst``, until nothing is left to do)."""
    if with_clock and not burst:
        clock.start_thread(app)
    failed_checks = 0
    while True:
        queue = jobs.queue(app)
        if queue is not None:
            try:
                if _work_queue(app, queue, burst, back=failed_checks > 0):
                    return
                failed_checks = 0
                time.sleep(BACKOFF_SECONDS[0])  # rq quit on an error of its own (it logged it): again
                continue
            except (RedisError, RedisLost) as error:
                if failed_checks == 0:
                    log.warning("Redis is unreachable (%s): running jobs from the database outbox until it is back",
                                error or "connection lost")
                failed_checks += 1
        ran = _run_outbox(app, queued_too=queue is not None)
        if burst:
            return
        if not ran:
            time.sleep(BACKOFF_SECONDS[min(failed_checks, len(BACKOFF_SECONDS)) - 1] if queue is not None
                       else OUTBOX_POLL_SECONDS)


def _work_queue(app: Flask, queue, burst: bool, back: bool) -> bool:
    """Relay the outbox and work the rq queue; True when it stopped as asked (a signal, or
    an empty queue in burst mode). Raises ``RedisLost`` or ``RedisError`` when Redis went away."""
    queue.connection.ping()
    if back:
        log.warning("Redis is back: working the queue %r again", queue.name)
        jobs.redis_is_back(app)
    with app.app_context():
        try:
            jobs.relay()
            if burst:
                clock.tick()
        finally:
            db.session.remove()
    worker = OutageAwareWorker([queue], connection=queue.connection)
    worker.work(burst=burst, with_scheduler=False)
    if worker.redis_lost:
        raise RedisLost()
    return burst or worker._stop_requested or worker._shutdown_requested_date is not None


def _run_outbox(app: Flask, queued_too: bool) -> int:
    with app.app_context():
        try:
            return jobs.run_due(queued_too=queued_too)
        except Exception:
            log.exception("running the outbox failed")
            return 0
        finally:
            db.session.remove()
