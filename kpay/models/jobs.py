"""The job outbox and the schedule claims of the minute clock."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kpay.extensions import db
from kpay.models.base import UTCDateTime, utcnow

JOB_STATUSES = ("pending", "queued", "running", "done", "failed")


class Job(db.Model):
    """A job written in the transaction that asked for it, relayed to rq after commit.

    ``pending`` rows wait for ``run_at`` (a delay, a retry, Redis being down, or embedded
    mode running them inline); ``queued`` ones were handed to rq at ``run_at`` (the relay
    hands them again if nobody took them within a lease); a ``running`` one holds a lease
    until ``run_at``; ``done`` and ``failed`` rows are kept a week for the admin and so
    that a ``key`` is used once.
    """

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_status_run_at", "status", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    func: Mapped[str] = mapped_column(sa.String(200))
    args: Mapped[list] = mapped_column(sa.JSON, default=list)
    kwargs: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # The address of the request that queued the job: its links point there without site_url.
    base_url: Mapped[str | None] = mapped_column(sa.String(300))
    # The setting the job failed for want of (``site_url``): shown to the admin, not retried.
    needs_setting: Mapped[str | None] = mapped_column(sa.String(100))
    run_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at = mapped_column(UTCDateTime)


class ScheduleRun(db.Model):
    """A claim that sweep ``name`` ran in period ``slot``; the unique key makes it once."""

    __tablename__ = "schedule_runs"
    __table_args__ = (sa.UniqueConstraint("name", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slot: Mapped[int]
    ran_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
