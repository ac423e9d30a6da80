"""Reminders (RELIABILITY F6): the day-before and quarter-hour reminders reach each attendee's
outbox once, with two workers sweeping at the same moment, after a worker died mid-batch, and
again for a lecture's new time; never for someone who left or a cancelled lecture."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models.base import utcnow
from kpay.models.mail import EmailMessage
from plugins.lectures import lifecycle, reminders
from plugins.lectures.models import Lecture, Reminder
from plugins.lectures.tests.conftest import canary, count, logged_in, make_lecture, move
from plugins.lectures.tests.test_seats import answer


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
    import os

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


def test_a_worker_killed_mid_batch_leaves_nothing_sent_twice_and_nothing_lost(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    lecture_id = make_lecture(app, creator.id, hours=30)
    answer(logged_in(app, member), lecture_id, "going")
    move(app, lecture_id, 20)
    with app.app_context():
        reminders.plan()
        row = db.session.scalar(sa.select(Reminder))
        # The dying worker claimed the row and queued the notice, then lost its connection.
        db.session.execute(sa.update(Reminder).where(Reminder.id == row.id).values(claimed_at=utcnow()))
        reminders._send(row, utcnow())
        db.session.rollback()
    assert mails(app, member.email) == []
    sweep_in_workers(app, 3)
    assert len(mails(app, member.email)) == 1


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
