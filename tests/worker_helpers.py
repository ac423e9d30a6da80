"""A job that records each of its runs, for the worker tests (run by a `kpay worker` process)."""

from __future__ import annotations

import os
import time

import sqlalchemy as sa

from kpay.extensions import db

metadata = sa.MetaData()
runs = sa.Table(
    "test_job_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("key", sa.String(40)), sa.Column("pid", sa.Integer),
)


def record_run(key: str, seconds: float = 0.0) -> None:
    """Note one run of ``key`` (committed with the job's "done"), after ``seconds``."""
    db.session.execute(runs.insert().values(key=key, pid=os.getpid()))
    time.sleep(seconds)
