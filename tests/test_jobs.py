"""Jobs in embedded mode (no Redis): after commit only, once per key, retried, visible to admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import url_for

from kpay import hookimpl, jobs, points
from kpay.extensions import db
from kpay.models import Job, PointsEntry, User
from kpay.models.base import utcnow
from tests.conftest import csrf_token

FLAKY = {"failures_left": 0}


def grant_welcome_points(user_id: int) -> None:
    """The job under test: its effect is a ledger row, visible to every later query."""
    points.award(db.session.get(User, user_id), 10, "Welcome", key=f"welcome:{user_id}")


def fail_while_flaky(user_id: int) -> None:
    if FLAKY["failures_left"]:
        FLAKY["failures_left"] -= 1
        raise RuntimeError("the mail server said no")
    grant_welcome_points(user_id)


class WelcomePlugin:
    """Gives new members points from a job, the way a referrals plugin would."""

    @hookimpl
    def kpay_event(self, event):
        if event.name == "user.signed_up":
            jobs.enqueue(grant_welcome_points, event.user_id, key=f"welcome:{event.user_id}")


def award_with_a_link(user_id: int) -> None:
    """Builds an absolute link, as an e-mail does, then queues a job of its own."""
    points.award(db.session.get(User, user_id), 1, url_for("auth.login", _external=True), key=f"link:{user_id}")
    jobs.enqueue(grant_welcome_points, user_id, key=f"welcome:{user_id}")


class LinkPlugin:
    @hookimpl
    def kpay_event(self, event):
        if event.name == "user.signed_up":
            jobs.enqueue(award_with_a_link, event.user_id, key=f"link:{event.user_id}")


def balance_of(app, user_id: int) -> int:
    with app.app_context():
        return points.balance(db.session.get(User, user_id))


def job_rows(app) -> list[Job]:
    with app.app_context():
        return db.session.scalars(sa.select(Job).order_by(Job.id)).all()


def sign_up(client, email="new@example.com", **request):
    token = csrf_token(client.get("/signup", **request))
    data = {"email": email, "display_name": "Newcomer", "password": "correct horse battery",
            "csrf_token": token}
    return client.post("/signup", data=data, **request)


@pytest.fixture
def member(make_user):
    return make_user()


def test_job_from_rolled_back_transaction_is_never_written_nor_run(app, member):
    with app.app_context():
        jobs.enqueue(grant_welcome_points, member.id)
        db.session.rollback()
        db.session.commit()
    assert job_rows(app) == []
    assert balance_of(app, member.id) == 0


def test_job_committed_outside_a_request_runs_at_once_and_finds_the_committed_row(app):
    with app.app_context():
        user = User(email="cli@example.com", display_name="From the CLI", password_hash="x")
        db.session.add(user)
        db.session.flush()
        jobs.enqueue(grant_welcome_points, user.id)
        assert points.balance(user) == 0
        db.session.commit()
        assert points.balance(user) == 10
    assert [job.status for job in job_rows(app)] == ["done"]


def test_job_in_a_rolled_back_savepoint_is_dropped_while_the_outer_job_runs(app, member):
    other = User(email="other@example.com", display_name="Other", password_hash="x")
    with app.app_context():
        db.session.add(other)
        db.session.flush()
        jobs.enqueue(grant_welcome_points, member.id)
        with pytest.raises(RuntimeError), db.session.begin_nested():
            jobs.enqueue(grant_welcome_points, other.id)
            raise RuntimeError("the form turned out invalid")
        db.session.commit()
        other_id = other.id
    assert balance_of(app, member.id) == 10
    assert balance_of(app, other_id) == 0
    assert len(job_rows(app)) == 1


def test_job_in_a_released_savepoint_dies_with_the_outer_rollback(app, member):
    with app.app_context():
        with db.session.begin_nested():
            jobs.enqueue(grant_welcome_points, member.id)
        db.session.rollback()
        db.session.commit()
    assert job_rows(app) == []
    assert balance_of(app, member.id) == 0


def test_second_job_with_the_same_key_is_not_added(app, member):
    with app.app_context():
        jobs.enqueue(grant_welcome_points, member.id, key="welcome-once")
        jobs.enqueue(grant_welcome_points, member.id, key="welcome-once")
        db.session.commit()
        jobs.enqueue(grant_welcome_points, member.id, key="welcome-once")
        db.session.commit()
    assert len(job_rows(app)) == 1


def test_jobs_must_be_module_level_functions_that_a_worker_can_import(app):
    with app.app_context(), pytest.raises(ValueError, match="module-level"):
        jobs.enqueue(lambda: None)


def test_signup_job_runs_only_after_the_response_is_closed(make_app):
    """The job runs in ``response.call_on_close``. Flask's test client does not close
    responses by itself (a WSGI server does, after sending the body), so the test closes it
    the way a server would, and checks that nothing ran before."""
    app = make_app(plugins=[WelcomePlugin()])
    client = app.test_client()
    response = sign_up(client)
    assert response.status_code == 302
    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == "new@example.com"))
    assert [job.status for job in job_rows(app)] == ["pending"]
    assert balance_of(app, user_id) == 0

    response.close()

    assert [job.status for job in job_rows(app)] == ["done"]
    assert balance_of(app, user_id) == 10


def test_jobs_after_a_response_link_to_its_address_and_run_the_jobs_they_queue(make_app):
    app = make_app(plugins=[LinkPlugin()])  # no site_url
    sign_up(app.test_client(), base_url="http://club.example:8080").close()
    assert [job.status for job in job_rows(app)] == ["done", "done"]
    with app.app_context():
        reasons = db.session.scalars(sa.select(PointsEntry.reason).order_by(PointsEntry.id)).all()
    assert reasons == ["http://club.example:8080/login", "Welcome"]


def test_failing_job_is_retried_three_times_with_backoff_then_kept_as_failed(app, member):
    FLAKY["failures_left"] = 10
    with app.app_context():
        jobs.enqueue(fail_while_flaky, member.id)
        db.session.commit()
        start = utcnow()
        for delay in jobs.RETRY_DELAYS:
            assert jobs.relay() == 0, "a retry must wait for its backoff"
            start += delay + timedelta(seconds=1)
            with time_machine.travel(start, tick=False):
                assert jobs.relay() == 1
    [job] = job_rows(app)
    assert (job.status, job.attempts) == ("failed", 4)
    assert "the mail server said no" in job.last_error
    assert balance_of(app, member.id) == 0


def test_job_that_fails_twice_then_succeeds_runs_three_times_and_grants_once(app, member):
    FLAKY["failures_left"] = 2
    with app.app_context():
        jobs.enqueue(fail_while_flaky, member.id)
        db.session.commit()
        with time_machine.travel(utcnow() + timedelta(minutes=10), tick=False):
            jobs.relay()
        with time_machine.travel(utcnow() + timedelta(minutes=20), tick=False):
            jobs.relay()
    [job] = job_rows(app)
    assert (job.status, job.attempts) == ("done", 3)
    assert balance_of(app, member.id) == 10


def test_admin_sees_failed_job_and_runs_it_again(app, client, auth, make_user, member):
    FLAKY["failures_left"] = 2
    with app.app_context():
        jobs.enqueue(fail_while_flaky, member.id)
        db.session.commit()
        db.session.execute(sa.update(Job).values(attempts=len(jobs.RETRY_DELAYS)))
        db.session.commit()
        jobs.relay()  # nothing due yet: the retry waits
        db.session.execute(sa.update(Job).values(run_at=utcnow()))
        db.session.commit()
        jobs.relay()
    [job] = job_rows(app)
    assert job.status == "failed"

    auth.login(make_user(role="admin").email)
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    assert b"the mail server said no" in page.data
    assert b"Run again" in page.data
    assert client.post(f"/admin/jobs/{job.id}/retry").status_code == 400, "CSRF is required"

    response = client.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    with app.app_context():
        jobs.relay()
    [job] = job_rows(app)
    assert (job.status, job.attempts) == ("done", 1)
    assert balance_of(app, member.id) == 10


def test_job_of_a_crashed_worker_is_run_again_once_its_lease_expires(app, member):
    with app.app_context():
        jobs.enqueue_at(utcnow() + timedelta(hours=1), grant_welcome_points, member.id)
        db.session.commit()
        # A worker claimed it and died: the row says running, under a lease.
        db.session.execute(
            sa.update(Job).values(status="running", attempts=1, run_at=utcnow() + jobs.LEASE)
        )
        db.session.commit()
        assert jobs.relay() == 0, "a live lease is left alone"
        with time_machine.travel(utcnow() + jobs.LEASE + timedelta(seconds=1), tick=False):
            assert jobs.relay() == 1
            assert jobs.relay() == 0
    [job] = job_rows(app)
    assert (job.status, job.attempts) == ("done", 2)
    assert balance_of(app, member.id) == 10


LEASES_SEEN = []


@jobs.long_running(timedelta(hours=6))
def transcode_for_hours(user_id: int) -> None:
    """A job that may run for hours (a video transcode): records the lease it runs under."""
    LEASES_SEEN.append(db.session.scalar(sa.select(Job.run_at).where(Job.func.like("%transcode_for_hours"))))


def test_a_long_running_job_holds_its_longer_lease_so_no_other_worker_takes_it(app, member):
    with app.app_context():
        started = utcnow()
        jobs.enqueue(transcode_for_hours, member.id)
        db.session.commit()
        assert LEASES_SEEN[-1] - started > timedelta(hours=5, minutes=59)
        with time_machine.travel(utcnow() + jobs.LEASE + timedelta(minutes=1), tick=False):
            db.session.execute(sa.update(Job).values(status="running", run_at=LEASES_SEEN[-1]))
            db.session.commit()
            assert jobs.relay() == 0, "past the usual lease, the transcode still holds its own"
