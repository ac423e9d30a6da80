"""Jobs on Redis: the outbox, the rq worker in burst mode, and the site while Redis is down."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine
from rq import SimpleWorker

from kpay import hookimpl, jobs, points
from kpay.cli import cli
from kpay.extensions import db
from kpay.models import Job, User
from kpay.models.base import utcnow
from tests.conftest import TEST_REDIS_URL, csrf_token

pytestmark = pytest.mark.redis

CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


def grant_welcome_points(user_id: int) -> None:
    points.award(db.session.get(User, user_id), 10, "Welcome", key=f"welcome:{user_id}")


class WelcomePlugin:
    @hookimpl
    def kpay_event(self, event):
        if event.name == "user.signed_up":
            jobs.enqueue(grant_welcome_points, event.user_id, key=f"welcome:{event.user_id}")


@pytest.fixture
def redis_app(make_app):
    """An app on the test Redis, with a queue of its own that is emptied afterwards."""
    app = make_app({"redis_url": TEST_REDIS_URL}, plugins=[WelcomePlugin()])
    yield app
    jobs.queue(app).empty()


def work_burst(app) -> None:
    with app.app_context():
        rq_queue = jobs.queue(app)
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)


def statuses(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(Job.status).order_by(Job.id)).all()


def balance_of(app, email: str) -> int:
    with app.app_context():
        return points.balance(db.session.scalar(sa.select(User).where(User.email == email)))


def sign_up(client, email: str):
    token = csrf_token(client.get("/signup"))
    data = {"email": email, "display_name": "Newcomer", "password": "correct horse battery",
            "csrf_token": token}
    return client.post("/signup", data=data)


def test_worker_runs_job_committed_by_a_request_once(redis_app):
    response = sign_up(redis_app.test_client(), "new@example.com")
    assert response.status_code == 302
    assert statuses(redis_app) == ["queued"]
    assert jobs.queue(redis_app).count == 1

    work_burst(redis_app)
    work_burst(redis_app)

    assert statuses(redis_app) == ["done"]
    assert balance_of(redis_app, "new@example.com") == 10


def test_rolled_back_job_never_reaches_redis(redis_app, make_user):
    member = make_user()
    with redis_app.app_context():
        jobs.enqueue(grant_welcome_points, member.id)
        db.session.rollback()
        db.session.commit()
    assert jobs.queue(redis_app).count == 0
    assert statuses(redis_app) == []


def test_site_serves_while_redis_is_down_and_each_waiting_job_runs_once_when_it_is_back(
    make_app, make_user
):
    app = make_app({"redis_url": CLOSED_PORT_URL}, plugins=[WelcomePlugin()])
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 200
    with sign_up(client, "first@example.com") as first, sign_up(client, "second@example.com") as second:
        assert (first.status_code, second.status_code) == (302, 302)
    assert client.get("/").status_code == 200
    with app.app_context():
        assert jobs.relay() == 2, "the relay finds the waiting jobs (and leaves them waiting)"
    assert statuses(app) == ["pending", "pending"]

    # Redis comes back (here: the site is pointed at a live server).
    app.config["KPAY"]["redis_url"] = TEST_REDIS_URL
    app.extensions.pop("kpay_redis")
    try:
        with app.app_context():
            assert jobs.relay() == 2
            assert jobs.relay() == 0, "queued jobs are not pushed twice"
        work_burst(app)
        work_burst(app)
    finally:
        jobs.queue(app).empty()

    assert statuses(app) == ["done", "done"]
    assert balance_of(app, "first@example.com") == 10
    assert balance_of(app, "second@example.com") == 10


def test_job_that_redis_lost_is_pushed_again_after_a_lease(redis_app, make_user):
    member = make_user()
    with redis_app.app_context():
        jobs.enqueue(grant_welcome_points, member.id)
        db.session.commit()
        jobs.queue(redis_app).empty()  # e.g. evicted, or Redis restarted without persistence
        assert jobs.relay() == 0
        with time_machine.travel(utcnow() + jobs.LEASE + jobs.LEASE / 10, tick=False):
            assert jobs.relay() == 1
    work_burst(redis_app)
    assert statuses(redis_app) == ["done"]
    assert balance_of(redis_app, member.email) == 10


def test_cli_worker_in_burst_mode_relays_the_outbox_and_runs_the_jobs(redis_app, make_user):
    member = make_user()
    with redis_app.app_context():
        # Written while Redis was unreachable: waiting in the outbox, not on the queue.
        redis_app.extensions.setdefault("kpay_redis", {})["down_until"] = float("inf")
        jobs.enqueue(grant_welcome_points, member.id)
        db.session.commit()
        redis_app.extensions["kpay_redis"]["down_until"] = 0
    assert statuses(redis_app) == ["pending"]

    result = redis_app.test_cli_runner().invoke(cli, ["worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert statuses(redis_app) == ["done"]
    assert balance_of(redis_app, member.email) == 10


def test_rq_gives_a_long_running_job_its_own_timeout(redis_app, make_user):
    from tests.test_jobs import transcode_for_hours

    member = make_user()
    with redis_app.app_context():
        jobs.enqueue(transcode_for_hours, member.id)
        jobs.enqueue(grant_welcome_points, member.id)
        db.session.commit()
        timeouts = sorted(job.timeout for job in jobs.queue(redis_app).jobs)
    assert timeouts == [int(jobs.LEASE.total_seconds()) - 60, 6 * 3600 - 60]
