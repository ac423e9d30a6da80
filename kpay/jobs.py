"""Background jobs: written to an outbox in the caller's transaction, run after it commits.

With ``redis_url`` set, committed jobs are pushed to an rq queue that ``kpay worker`` drains;
while Redis is unreachable they wait in the outbox and the clock's relay pushes them later.
Without Redis (embedded mode) they run in the web process after the response is sent, or at
once outside a request. A failing job is retried three times with backoff, then kept as
``failed`` for the admin. Jobs may run twice (a crash after the work, before it is marked
done): make them idempotent, and claim effects that must happen once with a database row.
"""

from __future__ import annotations

import importlib
import logging
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from kpay.extensions import db
from kpay.models import Job
from kpay.models.base import utcnow
from kpay.transactions import after_commit

log = logging.getLogger("kpay.jobs")

RETRY_DELAYS = (timedelta(seconds=10), timedelta(seconds=60), timedelta(minutes=5))
LEASE = timedelta(minutes=15)
REDIS_BACKOFF_SECONDS = 10.0
RELAY_BATCH = 500


def enqueue(func: Callable, *args, key: str | None = None, **kwargs) -> None:
    """Run ``func(*args, **kwargs)`` in the background once the current transaction commits.

    ``func`` must be a module-level function and its arguments JSON values (pass ids, not
    objects). A job whose ``key`` was already used (pending, done or failed) is not added.
    """
    _add(func, args, kwargs, key, utcnow())


def enqueue_at(when: datetime, func: Callable, *args, key: str | None = None, **kwargs) -> None:
    """Like ``enqueue``, but not before ``when`` (an aware datetime; minute precision)."""
    _add(func, args, kwargs, key, when)


def run_job(job_id: int) -> None:
    """Run outbox job ``job_id`` if nobody else holds it; record success, retry or failure."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Job)
        .where(
            Job.id == job_id,
            sa.or_(
                Job.status.in_(("pending", "queued")),
                sa.and_(Job.status == "running", Job.run_at <= now),
            ),
        )
        .values(status="running", run_at=now + LEASE, attempts=Job.attempts + 1)
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    job = db.session.get(Job, job_id)
    try:
        _resolve(job.func)(*job.args, **job.kwargs)
        db.session.commit()
    except Exception:
        db.session.rollback()
        _record_failure(job_id, traceback.format_exc())
        return
    db.session.execute(
        sa.update(Job).where(Job.id == job_id).values(status="done", finished_at=utcnow())
    )
    db.session.commit()


def relay(limit: int = RELAY_BATCH) -> int:
    """Dispatch due outbox jobs: waiting ones, retries, lost ones and expired leases.

    Returns how many were dispatched. Called by the minute clock and when a worker starts.
    """
    now = utcnow()
    db.session.execute(
        sa.update(Job)
        .where(
            sa.or_(
                sa.and_(Job.status == "running", Job.run_at <= now),
                sa.and_(Job.status == "queued", Job.run_at <= now - LEASE),
            )
        )
        .values(status="pending")
    )
    due = db.session.scalars(
        sa.select(Job.id)
        .where(Job.status == "pending", Job.run_at <= now)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    ).all()
    db.session.commit()
    for job_id in due:
        _dispatch(job_id)
    return len(due)


def prune(older_than: timedelta = timedelta(days=7)) -> int:
    """Delete finished jobs older than ``older_than``; returns how many."""
    cutoff = utcnow() - older_than
    deleted = db.session.execute(
        sa.delete(Job).where(Job.status.in_(("done", "failed")), Job.finished_at < cutoff)
    ).rowcount
    db.session.commit()
    return deleted


def redis_connection(app: Flask | None = None) -> Redis | None:
    """The app's Redis client, or None in embedded mode."""
    app = app or current_app
    url = app.config["KPAY"]["redis_url"]
    if not url:
        return None
    state = app.extensions.setdefault("kpay_redis", {})
    if "client" not in state:
        state["client"] = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=5)
    return state["client"]


def queue(app: Flask | None = None):
    """The app's rq queue (None in embedded mode)."""
    from rq import Queue

    connection = redis_connection(app)
    if connection is None:
        return None
    return Queue((app or current_app).config["KPAY"]["queue_name"], connection=connection)


def init_app(app: Flask) -> None:
    """Run jobs queued by a request after its response has been sent (embedded mode)."""

    @app.after_request
    def run_after_response(response):
        job_ids = g.pop("kpay_inline_jobs", None)
        if job_ids:
            flask_app = current_app._get_current_object()

            def run_them():
                with flask_app.app_context():
                    for job_id in job_ids:
                        run_job(job_id)

            response.call_on_close(run_them)
        return response


def _add(func, args, kwargs, key, run_at) -> None:
    job = Job(func=_dotted(func), args=list(args), kwargs=kwargs, key=key, run_at=run_at)
    if key is not None:
        if db.session.scalar(sa.select(Job.id).where(Job.key == key)) is not None:
            return
        try:
            with db.session.begin_nested():
                db.session.add(job)
        except IntegrityError:
            return
    else:
        db.session.add(job)
        db.session.flush()
    job_id = job.id
    after_commit(lambda: _dispatch(job_id) if run_at <= utcnow() else None)


def _dispatch(job_id: int) -> None:
    """Hand a committed job to rq, or run it in this process in embedded mode."""
    app = current_app
    if not app.config["KPAY"]["redis_url"]:
        if has_request_context():
            g.setdefault("kpay_inline_jobs", []).append(job_id)
        else:
            run_job(job_id)
        return
    state = app.extensions.setdefault("kpay_redis", {})
    if state.get("down_until", 0) > time.monotonic():
        return
    try:
        queue(app).enqueue_call(
            "kpay.jobs.run_job", args=(job_id,), timeout=int(LEASE.total_seconds()) - 60,
            result_ttl=0, failure_ttl=7 * 24 * 3600,
        )
    except RedisError as error:
        state["down_until"] = time.monotonic() + REDIS_BACKOFF_SECONDS
        log.warning("Redis unreachable (%s); job %s waits in the outbox", error, job_id)
        return
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status == "pending")
            .values(status="queued", run_at=utcnow())
        )


def _record_failure(job_id: int, error: str) -> None:
    job = db.session.get(Job, job_id)
    log.error("job %s (%s) failed on attempt %s:\n%s", job_id, job.func, job.attempts, error)
    job.last_error = error[-4000:]
    if job.attempts <= len(RETRY_DELAYS):
        job.status = "pending"
        job.run_at = utcnow() + RETRY_DELAYS[job.attempts - 1]
    else:
        job.status = "failed"
        job.finished_at = utcnow()
    db.session.commit()


def _dotted(func: Callable) -> str:
    name = f"{func.__module__}:{func.__qualname__}"
    if "<" in func.__qualname__ or "." in func.__qualname__:
        raise ValueError(f"{name}: jobs must be module-level functions")
    return name


def _resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
