"""Members who chose the e-mail digest get it at 07:00 their time, once per day (week), however
many clocks and workers run (F6, invariant 5)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone, UTC

import pytest
import sqlalchemy as sa
import time_machine

from kpay import clock
from kpay.extensions import db
from kpay.models import DigestRun, EmailMessage, Notification
from kpay.notifications.digest import digest_period, send_due_digests
from tests.notification_helpers import SITE, ReplyKinds, app, send, set_member  # noqa: F401
from tests.test_mail import outbox

# 2025-03-05 is a Wednesday; 23:00 UTC on the 4th is 07:00 on the 5th in Shanghai.
SHANGHAI_SEVEN = datetime(2025, 3, 4, 23, 0, tzinfo=UTC)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def digest_keys(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            sa.select(EmailMessage.key).where(EmailMessage.key.like("digest:%")).order_by(EmailMessage.id)
        ).all()


@pytest.fixture
def reader(app, make_user):
    """A member in Shanghai on the daily digest, with two mentions waiting since the night."""
    member = make_user(name="Reader")
    set_member(app, member.id, digest="daily", timezone="Asia/Shanghai")
    with at(SHANGHAI_SEVEN - timedelta(hours=5)):
        send(app, member.id, kind="mention", text="Ann mentioned you", url="/t/1")
        send(app, member.id, kind="mention", text="Bob mentioned you", url="/t/2")
        send(app, member.id, kind="reply", text="A reply for the bell only", url="/t/3")
    return member


def test_daily_digest_is_sent_at_seven_local_time_and_marks_what_it_listed(app, reader):
    with at(SHANGHAI_SEVEN - timedelta(minutes=10)), app.app_context():
        clock.tick()
    assert digest_keys(app) == []
    with at(SHANGHAI_SEVEN + timedelta(minutes=2)), app.app_context():
        assert "notifications.digest" in clock.tick()
    assert digest_keys(app) == [f"digest:{reader.id}:2025-03-05"]
    [message] = outbox(app)
    assert message["Subject"] == "Your KPay Community digest"
    assert message["List-Unsubscribe"].startswith(f"<{SITE}/unsubscribe/")
    body = message.get_payload(decode=True).decode()
    assert body.index("Bob mentioned you") < body.index("Ann mentioned you")
    assert f"{SITE}/t/1" in body and "bell only" not in body
    with app.app_context():
        digested = dict(db.session.execute(sa.select(Notification.kind, Notification.digested_at)).all())
    assert digested["mention"] is not None and digested["reply"] is None


def test_one_digest_a_day_and_later_notifications_wait_for_the_next(app, reader):
    with at(SHANGHAI_SEVEN + timedelta(minutes=2)), app.app_context():
        clock.tick()
    with at(SHANGHAI_SEVEN + timedelta(minutes=20)):
        send(app, reader.id, kind="mention", text="Cy mentioned you", url="/t/4")
        with app.app_context():
            clock.tick()
            assert send_due_digests() == 0, "today's digest was sent"
    with at(SHANGHAI_SEVEN + timedelta(days=1, minutes=1)), app.app_context():
        clock.tick()
    assert digest_keys(app) == [f"digest:{reader.id}:2025-03-05", f"digest:{reader.id}:2025-03-06"]
    assert "Cy mentioned you" in outbox(app)[1].get_payload(decode=True).decode()


def test_notifications_read_before_the_digest_are_left_out(app, reader):
    with app.app_context():
        db.session.execute(sa.update(Notification).values(read_at=sa.func.current_timestamp()))
        db.session.commit()
    with at(SHANGHAI_SEVEN + timedelta(minutes=2)), app.app_context():
        assert send_due_digests() == 0
    assert digest_keys(app) == []


def test_weekly_digest_goes_on_monday_morning_only(app, make_user):
    member = make_user()
    set_member(app, member.id, digest="weekly", timezone="Europe/Berlin")
    send(app, member.id, kind="mention")
    sunday = datetime(2025, 3, 9, 6, 5, tzinfo=UTC)  # 07:05 in Berlin
    with at(sunday), app.app_context():
        assert send_due_digests() == 0
    with at(sunday + timedelta(days=1)), app.app_context():
        assert send_due_digests() == 1
    assert digest_keys(app) == [f"digest:{member.id}:2025-W11"]


def test_members_without_a_digest_get_none(app, reader):
    set_member(app, reader.id, digest="off")
    with at(SHANGHAI_SEVEN + timedelta(minutes=2)), app.app_context():
        assert send_due_digests() == 0


def test_without_site_url_digests_wait_unclaimed(make_app, make_user):
    app = make_app(plugins=[ReplyKinds()])
    member = make_user()
    set_member(app, member.id, digest="daily")
    send(app, member.id, kind="mention")
    with at(datetime(2025, 3, 5, 7, 5, tzinfo=UTC)), app.app_context():
        assert send_due_digests() == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DigestRun)) == 0


@pytest.mark.parametrize(
    ("frequency", "local", "period"),
    [
        ("daily", datetime(2025, 3, 5, 6, 59), None),
        ("daily", datetime(2025, 3, 5, 7, 0), "2025-03-05"),
        ("daily", datetime(2025, 3, 5, 8, 0), None),
        ("weekly", datetime(2025, 3, 3, 7, 30), "2025-W10"),
        ("weekly", datetime(2025, 3, 4, 7, 30), None),
        ("weekly", datetime(2024, 12, 30, 7, 0), "2025-W01"),
    ],
)
def test_digest_period(frequency, local, period):
    assert digest_period(frequency, local) == period


def run_together(apps, work) -> None:
    """Run ``work()`` in an app context of each app, in threads released at the same moment."""
    barrier = threading.Barrier(len(apps))
    errors = []

    def run(flask_app):
        with flask_app.app_context():
            barrier.wait()
            try:
                work()
            except Exception as error:  # reported below, in the test's thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []


@pytest.mark.parametrize("work", [clock.tick, send_due_digests], ids=["two clocks", "two sweeps"])
def test_two_app_instances_at_the_same_moment_send_one_digest(app, make_app, reader, work):
    other = make_app({"site_url": SITE}, plugins=[ReplyKinds()])
    with at(SHANGHAI_SEVEN + timedelta(minutes=2)):
        run_together([app, other, app, other], work)
    assert digest_keys(app) == [f"digest:{reader.id}:2025-03-05"]
    assert len(outbox(app)) == 1
