"""F18, F4: `kpay worker` outlives Redis and runs without it; a killed worker's job runs
again after its lease; every job runs exactly once.

The Redis killed here is one this test starts on a port of its own, never the shared one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from kpay import jobs
from kpay.cli import cli
from kpay.extensions import db
from kpay.models import Job
from kpay.models.base import utcnow
from kpay.worker import BACKOFF_SECONDS
from tests.live import free_port
from tests.worker_helpers import metadata, record_run, runs

ROOT = Path(__file__).resolve().parents[1]
KPAY = Path(sys.executable).parent / "kpay"


def add_jobs(app, keys, seconds: float = 0.0) -> None:
    with app.app_context():
        for key in keys:
            jobs.enqueue(record_run, key, seconds, key=key)
        db.session.commit()


def runs_by_key(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(sa.select(runs.c.key, sa.func.count()).group_by(runs.c.key)).all())


def job_statuses(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(sa.select(Job.key, Job.status)).all())


# A worker whose Redis went away asks it again after a pause of up to max(BACKOFF_SECONDS)
# (30 s), and a busy machine starts `kpay worker` slowly: wait for the outcome, not a guess.
PATIENCE = max(BACKOFF_SECONDS) + 60.0


def wait_for(condition, timeout: float = PATIENCE, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def outbox_app(make_app):
    app = make_app()
    with app.app_context():
        metadata.create_all(db.engine)
    yield app
    with app.app_context():
        metadata.drop_all(db.engine)


def test_worker_without_redis_reruns_a_killed_workers_job_after_its_lease(outbox_app):
    """A gunicorn site without Redis: the job a killed web worker was running runs again."""
    add_jobs(outbox_app, ["killed"])
    with outbox_app.app_context():
        db.session.execute(runs.delete())  # it ran inline; now pretend its worker died in it
        db.session.execute(sa.update(Job).values(status="running", run_at=utcnow() + timedelta(minutes=1)))
        db.session.commit()
    result = outbox_app.test_cli_runner().invoke(cli, ["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert "database outbox" in result.output
    assert runs_by_key(outbox_app) == {}, "the lease is not over yet"
    with outbox_app.app_context():
        db.session.execute(sa.update(Job).values(run_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert outbox_app.test_cli_runner().invoke(cli, ["worker", "--burst"]).exit_code == 0
    assert runs_by_key(outbox_app) == {"killed": 1}
    assert job_statuses(outbox_app) == {"killed": "done"}


class Process:
    """A child process of this test, stopped by its own pid."""

    def __init__(self, args, log: Path, env=None):
        self.log = log
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def alive(self) -> bool:
        return self.process.poll() is None


def start_redis(port: int, folder: Path) -> Process:
    redis = Process(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                     "--dir", str(folder)], folder / "redis.log")
    import redis as redis_client

    client = redis_client.Redis(port=port, socket_connect_timeout=0.2)
    wait_for(lambda: _pings(client), what="redis-server to start")
    return redis


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:  # noqa: BLE001 (not up yet)
        return False


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_worker_outlives_redis_and_a_kill_and_runs_every_job_once(make_app, tmp_path, monkeypatch):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port, tmp_path)
    app = make_app({"redis_url": url})
    monkeypatch.setattr(jobs, "REDIS_BACKOFF_SECONDS", 0.5)  # the site asks Redis again soon
    with app.app_context():
        metadata.create_all(db.engine)
    env = {
        **os.environ, "KPAY_INSTANCE_PATH": app.instance_path, "KPAY_REDIS_URL": url,
        "KPAY_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "KPAY_PLUGINS_ENABLED": "",
        "KPAY_QUEUE_NAME": app.config["KPAY"]["queue_name"], "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "worker.log"
    worker = Process([str(KPAY), "worker"], log, env)
    try:
        add_jobs(app, [f"before-{n}" for n in range(20)])
        wait_for(lambda: len(runs_by_key(app)) == 20, what="jobs before the outage")

        redis.kill()
        add_jobs(app, [f"during-{n}" for n in range(20)])
        wait_for(lambda: len(runs_by_key(app)) == 40, what="jobs written during the outage")
        assert worker.alive()

        redis = start_redis(port, tmp_path)
        time.sleep(0.6)  # the site's backoff
        add_jobs(app, [f"after-{n}" for n in range(20)])
        wait_for(lambda: len(runs_by_key(app)) == 60, what="jobs after Redis came back")
        assert worker.alive()

        add_jobs(app, ["slow"], seconds=30)
        wait_for(lambda: job_statuses(app).get("slow") == "running", what="the slow job to start")
        worker.kill()
        with app.app_context():  # its lease is over (15 minutes, here at once)
            db.session.execute(sa.update(Job).where(Job.key == "slow").values(run_at=utcnow()))
            db.session.execute(sa.update(Job).where(Job.key == "slow").values(args=["slow", 0]))
            db.session.commit()
        worker = Process([str(KPAY), "worker"], log, env)
        wait_for(lambda: job_statuses(app).get("slow") == "done", what="the killed job to run again")
    finally:
        worker.kill()
        redis.kill()

    assert runs_by_key(app) == {key: 1 for key in job_statuses(app)}
    assert set(job_statuses(app).values()) == {"done"}
    text = log.read_text()
    assert text.count("Redis is unreachable") == 1 and text.count("Redis is back") == 1, text
    with app.app_context():
        metadata.drop_all(db.engine)
