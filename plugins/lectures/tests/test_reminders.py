"""Reminders (RELIABILITY F6): the day-before and quarter-hour reminders reach each attendee's
outbox once, with two workers sweeping at the same moment, after a worker died mid-batch, and
again for a lecture's new time; never for someone who left or a cancelled lecture. A worker is
killed (SIGKILL, a real process) in the middle of sending, and the reminders it did not commit go
out once when workers run again."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import Notification
from kpay.models.base import utcnow
from kpay.models.mail import EmailMessage
from plugins.lectures import lifecycle, reminders
from plugins.lectures.models import Lecture, Reminder
from plugins.lectures.tests.conftest import canary, count, logged_in, make_lecture, move
from plugins.lectures.tests.test_seats import answer

ROOT = Path(__file__).resolve().parents[3]


def sweep_in_workers(app, workers: int = 2) -> None:
    """``workers`` threads, each with its own app context and connection, sweep at once."""
    barrier = threading.Barrier(workers)
    errors = []

    def work():
        with app.app_context():
            try:
                barrier.wait()
                reminders.sweep()
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def mails(app, address: str) -> list[EmailMessage]:
    with app.app_context():
        return db.session.scalars(sa.select(EmailMessage).where(EmailMessage.to_address == address)).all()


def outbox_files(app) -> list[str]:
    folder = app.instance_path + "/outbox"
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_day_before_reminder_lands_in_the_outbox_once_with_two_workers(app, make_user):
    creator, member, other = make_user(role="creator"), make_user(), make_user()
    lecture_id = make_lecture(app, creator.id, hours=30)
    for person in (member, other):
        answer(logged_in(app, person), lecture_id, "going")
    move(app, lecture_id, 23.5)
    sweep_in_workers(app)
    sweep_in_workers(app)
    for person in (member, other):
        sent = mails(app, person.email)
        assert len(sent) == 1 and "Reminder: Lecture starts at" in sent[0].subject
        assert sent[0].sent_at is not None and canary(lecture_id) not in sent[0].text_body
    assert len(outbox_files(app)) == 2
    assert count(app, Reminder, kind=1440) == 2

    move(app, lecture_id, 0.2)  # a quarter of an hour before: the second reminder, once
    sweep_in_workers(app)
    assert [len(mails(app, p.email)) for p in (member, other)] == [2, 2]


class Worker:
    """A reminder worker process on the app's database (see ``reminder_worker``), stopped by its own pid."""

    def __init__(self, app):
        env = {**os.environ, "KPAY_INSTANCE_PATH": app.instance_path, "KPAY_REDIS_URL": "",
               "KPAY_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "KPAY_SITE_URL": "http://kpay.test",
               "KPAY_PLUGINS_ENABLED": "lectures,pay_sandbox", "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plugins.lectures.tests.reminder_worker"], cwd=ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def sweep(self, stall_at: int = 0) -> None:
        self.process.stdin.write(f"{stall_at}\n")
        self.process.stdin.flush()

    def said(self) -> str:
        ready, _, _ = select.select([self.process.stdout], [], [], 180)  # four of them start at once
        return self.process.stdout.readline().strip() if ready else "(nothing)"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.communicate(timeout=10)


def test_workers_killed_mid_send_and_run_again_send_every_reminder_once(app, make_user):
    workers = [Worker(app) for _ in range(4)]  # started at once: two to be killed, two to run after them
    try:
        creator, members = make_user(role="creator"), [make_user() for _ in range(3)]
        lecture_id = make_lecture(app, creator.id, hours=30)
        for person in members:
            answer(logged_in(app, person), lecture_id, "going")
        for offset, stall_at, killed in ((23.5, 2, workers[0]), (0.2, 1, workers[1])):
            move(app, lecture_id, offset)  # the day-before reminder, then the quarter-hour one
            killed.sweep(stall_at)  # killed inside the transaction of a reminder, after any before it committed
            assert killed.said() == "stalled"
            killed.kill()
            assert sum(len(mails(app, p.email)) for p in members) == (stall_at - 1) + (3 if offset < 1 else 0)
            for again in workers[2:]:
                again.sweep()
            assert [again.said() for again in workers[2:]] == ["done", "done"]
        for person in members:
            assert [m.subject.count("Reminder:") for m in mails(app, person.email)] == [1, 1]
            assert count(app, Notification, user_id=person.id, kind="lectures.reminders") == 2
        assert len(outbox_files(app)) == 6
    finally:
        for process in workers:
            process.kill()


def test_leaving_or_cancelling_before_the_reminder_sends_none(app, make_user):
    creator, member, other = make_user(role="creator"), make_user(), make_user()
    lecture_id = make_lecture(app, creator.id, hours=30)
    for person in (member, other):
        answer(logged_in(app, person), lecture_id, "going")
    answer(logged_in(app, other), lecture_id, "not_going")
    with app.app_context():
        lecture = db.session.get(Lecture, lecture_id)
        lecture.starts_at = utcnow() + timedelta(hours=20)
        lifecycle.cancel(lecture)
        db.session.commit()
    sweep_in_workers(app)
    assert [m.subject for m in mails(app, member.email)] == [
        next(m.subject for m in mails(app, member.email))]  # only the cancellation notice
    assert "cancelled" in mails(app, member.email)[0].subject
    assert mails(app, other.email) == []
