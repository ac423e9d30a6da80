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
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from redis import Redis
from redis.exceptions import RedisError

from kpay.config import SettingNeeded
from kpay.extensions import db
from kpay.models import Job
from kpay.models.base import utcnow
from kpay.transactions import after_commit, insert_once, rows_changed

log = logging.getLogger("kpay.jobs")

RETRY_DELAYS = (timedelta(seconds=10), timedelta(seconds=60), timedelta(minutes=5))
LEASE = timedelta(minutes=15)
REDIS_BACKOFF_SECONDS = 10.0
RELAY_BATCH = 500
FAILURE_TTL = 7 * 24 * 3600


def enqueue(func: Callable, *args, key: str | None = None, **kwargs) -> None:
    """Run ``func(*args, **kwargs)`` in the background once the current transaction commits.

    ``func`` must be a module-level function and its arguments JSON values (pass ids, not
    objects). A job whose ``key`` was already used (pending, done or failed) is not added.
    """
    _add(func, args, kwargs, key, None)


def enqueue_at(when: datetime, func: Callable, *args, key: str | None = None, **kwargs) -> None:
    """Like ``enqueue``, but not before ``when`` (an aware datetime; the relay picks it up
    within a minute of it)."""
    _add(func, args, kwargs, key, when)


def run_job(job_id: int) -> None:
    """Run outbox job ``job_id`` unless it is done, or running under a live lease elsewhere.

    The job's own database work and the mark ``done`` commit together, so a crash leaves
    the job to be run again, never half-recorded. A failure is retried after a delay, and
    after the last retry the job is kept as ``failed``.
    """
    now = utcnow()
    held = _lease(db.session.scalar(sa.select(Job.func).where(Job.id == job_id)))
    claimed = rows_changed(
        sa.update(Job)
        .where(
            Job.id == job_id,
            sa.or_(
                Job.status == "queued",
                sa.and_(Job.status.in_(("pending", "running")), Job.run_at <= now),
            ),
        )
        .values(status="running", run_at=now + held, attempts=Job.attempts + 1)
    )
    db.session.commit()
    if not claimed:
        return
    job = db.session.get(Job, job_id)
    try:
        with _link_context(job.base_url):
            _resolve(job.func)(*job.args, **job.kwargs)
        db.session.execute(
            sa.update(Job).where(Job.id == job_id).values(status="done", finished_at=utcnow())
        )
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        _record_failure(job_id, traceback.format_exc(), _needed_setting(error))


@contextmanager
def _link_context(base_url: str | None):
    """Where the job's ``url_for(_external=True)`` points: ``site_url`` when set (an app
    context does), else the address of the request that queued the job. That request
    context is for links only: jobs the job queues run at once, not after a response."""
    if has_request_context() or current_app.config.get("SERVER_NAME") or not base_url:
        yield
        return
    with current_app.test_request_context("/", base_url=base_url):
        g.kpay_links_only = True
        yield


def _needed_setting(error: Exception) -> SettingNeeded | None:
    """The setting whose absence made the job fail, or None for any other failure."""
    if isinstance(error, SettingNeeded):
        return error
    if isinstance(error, RuntimeError) and "SERVER_NAME" in str(error):
        # Flask's url_for outside a request: only site_url gives it an address.
        return SettingNeeded("site_url", "links cannot be built without the site's address")
    return None


def relay(limit: int = RELAY_BATCH) -> int:
    """Dispatch due outbox jobs: delayed ones, retries, ones Redis lost, expired leases.

    Returns how many were due. Called by the minute clock and when a worker starts.
    """
    due = _due(limit)
    _dispatch(due)
    return len(due)


def run_due(limit: int = RELAY_BATCH, queued_too: bool = False) -> int:
    """Run due outbox jobs here, whatever the mode: the worker's way while Redis is away.

    ``queued_too`` also runs jobs handed to Redis that Redis has not delivered; should it
    deliver them later, ``run_job`` finds them done. Returns how many were due.
    """
    due = _due(limit, queued_too)
    for job_id in due:
        run_job(job_id)
    return len(due)


def _due(limit: int, queued_too: bool = False) -> Sequence[int]:
    """Ids of due jobs, after expired leases (a killed worker's job) become pending again."""
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
    ready = sa.and_(Job.status == "pending", Job.run_at <= now)
    due = db.session.scalars(
        sa.select(Job.id)
        .where(sa.or_(ready, Job.status == "queued") if queued_too else ready)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    ).all()
    db.session.commit()
    return due


def retry(job_id: int) -> bool:
    """Give a failed job three more attempts, the first as soon as the caller commits.

    Returns False, changing nothing, when the job has not failed.
    """
    changed = rows_changed(
        sa.update(Job)
        .where(Job.id == job_id, Job.status == "failed")
        .values(status="pending", attempts=0, run_at=utcnow(), finished_at=None, needs_setting=None)
    )
    if changed:
        after_commit(lambda: _dispatch([job_id]))
    return bool(changed)


def prune(older_than: timedelta = timedelta(days=7)) -> int:
    """Delete finished jobs older than ``older_than``; returns how many."""
    cutoff = utcnow() - older_than
    deleted = rows_changed(
        sa.delete(Job).where(Job.status.in_(("done", "failed")), Job.finished_at < cutoff)
    )
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
                    g.kpay_inline_jobs = job_ids
                    run_queued_inline()

            response.call_on_close(run_them)
        return response


def _add(func, args, kwargs, key, run_at) -> None:
    now = utcnow()
    later = run_at is not None and run_at > now
    redis_mode = _redis_mode()
    push = redis_mode and not later and not _redis_down()
    job_id = insert_once(
        Job, ("key",), func=_dotted(func), args=list(args), kwargs=kwargs, key=key,
        status="queued" if push else "pending", run_at=run_at if later else now,
        base_url=request.url_root if has_request_context() else None,
    )
    if job_id is None or later:
        return
    if push:
        after_commit(lambda: _push([job_id]))
    elif not redis_mode:
        after_commit(lambda: _run_inline([job_id]))


def _dispatch(job_ids: Sequence[int]) -> None:
    """Hand committed ``pending`` jobs to rq, or run them here in embedded mode."""
    if not _redis_mode():
        _run_inline(job_ids)
    elif job_ids and not _redis_down():
        _push(_mark_queued(job_ids))


def _redis_mode() -> bool:
    return bool(current_app.config["KPAY"]["redis_url"])


def _redis_down() -> bool:
    return current_app.extensions.get("kpay_redis", {}).get("down_until", 0) > time.monotonic()


def redis_is_back(app: Flask) -> None:
    """Forget the backoff of an outage: the next job goes straight to Redis."""
    app.extensions.setdefault("kpay_redis", {})["down_until"] = 0


def _run_inline(job_ids: Sequence[int]) -> None:
    """Embedded mode: run the jobs after the response is sent, or now outside a request."""
    if has_request_context() and not g.get("kpay_links_only"):
        g.setdefault("kpay_inline_jobs", []).extend(job_ids)
        return
    for job_id in job_ids:
        run_job(job_id)


def run_queued_inline() -> None:
    """Run the jobs queued in this request context to run after its response, and the jobs
    they queue in turn. For a request context that sends no response (``kpay demo``)."""
    while job_ids := g.pop("kpay_inline_jobs", None):
        for job_id in job_ids:
            run_job(job_id)


def _mark_queued(job_ids: Sequence[int]) -> Sequence[int]:
    """Claim pending jobs for pushing; returns the ones no other relay took first."""
    claimed = db.session.scalars(
        sa.update(Job)
        .where(Job.id.in_(job_ids), Job.status == "pending")
        .values(status="queued", run_at=utcnow())
        .returning(Job.id)
    ).all()
    db.session.commit()
    return claimed


def _push(job_ids: Sequence[int]) -> None:
    """Put ``queued`` jobs on the rq queue; if Redis is unreachable, back to ``pending``."""
    if not job_ids:
        return
    app = current_app
    funcs = dict(db.session.execute(sa.select(Job.id, Job.func).where(Job.id.in_(job_ids))).all())
    try:
        rq_queue = queue(app)
        rq_queue.enqueue_many([
            rq_queue.prepare_data(
                "kpay.jobs.run_job", args=(job_id,), timeout=_rq_timeout(funcs.get(job_id)), result_ttl=0,
                failure_ttl=FAILURE_TTL,
            )
            for job_id in job_ids
        ])
    except RedisError as error:
        app.extensions.setdefault("kpay_redis", {})["down_until"] = (
            time.monotonic() + REDIS_BACKOFF_SECONDS
        )
        log.warning("Redis unreachable (%s); jobs %s wait in the outbox", error, job_ids)
        db.session.execute(
            sa.update(Job)
            .where(Job.id.in_(job_ids), Job.status == "queued")
            .values(status="pending")
        )
        db.session.commit()


def _record_failure(job_id: int, error: str, needed: SettingNeeded | None) -> None:
    """Schedule a retry, or keep the job as ``failed``: at once when it lacks a setting,
    which no retry brings (the admin runs it again after setting it)."""
    job = db.session.get(Job, job_id)
    log.error("job %s (%s) failed on attempt %s:\n%s", job_id, job.func, job.attempts, error)
    job.last_error = error[-4000:]
    job.needs_setting = needed.setting if needed else None
    if needed is None and job.attempts <= len(RETRY_DELAYS):
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


def long_running(duration: timedelta):
    """Mark a job function that may run for up to ``duration`` (a video transcode): its lease,
    and the rq timeout that ends a stuck run, are that long instead of ``LEASE``."""
    def mark(func: Callable) -> Callable:
        func.__dict__["kpay_lease"] = duration  # read by _lease
        return func
    return mark


def _lease(path: str | None) -> timedelta:
    """How long a run of the job function ``path`` holds its lease."""
    try:
        return max(LEASE, getattr(_resolve(path), "kpay_lease", LEASE))
    except (AttributeError, ImportError, ValueError):  # unknown: the run records the failure
        return LEASE


def _rq_timeout(path: str | None) -> int:
    """rq's timeout for a run of ``path``: a minute less than its lease, so rq ends a stuck
    run before the relay hands the job to another worker."""
    return int(_lease(path).total_seconds()) - 60


def _resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
