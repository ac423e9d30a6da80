"""The weekly digest: on Monday each admin gets last week's figures by e-mail, once, with a
note when sign-ups left the band of the weeks before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from kpay.api import ActivityEvent, db
from kpay.models import Notification, User
from plugins.analytics import digest
from plugins.analytics.demo import insert
from plugins.analytics.tests.conftest import roll
from tests.mailbox import messages, text

MONDAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the tests' site zone


def signups(per_week: list[int]) -> list[dict]:
    """Sign-up events: per_week[i] in the week i weeks before MONDAY's week (0 = last week)."""
    rows = []
    for back, count in enumerate(per_week):
        start = MONDAY - timedelta(weeks=back + 1) + timedelta(hours=12)
        rows += [{"name": "user.signed_up", "user_id": None, "subject_type": None, "subject_id": None, "data": {},
                  "created_at": start + timedelta(hours=n)} for n in range(count)]
    return rows


def digests_on_monday(app) -> list[int]:
    """Roll up a week of 30 sign-ups after eight quiet ones and send the digest on MONDAY, twice
    (a second clock); returns how many each run sent."""
    with time_machine.travel(MONDAY, tick=False):
        with app.app_context():
            insert(ActivityEvent, iter(signups([30, 3, 4, 3, 5, 4, 3, 4, 3])))
            db.session.commit()
        roll(app)
        with app.test_request_context("/"):
            sent = [digest.send_digest(), digest.send_digest()]
            db.session.commit()
    return sent


def test_admins_get_the_weekly_digest_once_with_an_anomaly_note(app, make_user):
    admin = make_user("admin", email="boss@example.com")
    make_user()  # a member gets nothing
    assert digests_on_monday(app) == [1, 0]
    with app.app_context():
        sent = db.session.scalars(sa.select(Notification).where(Notification.kind == "analytics.digest")).all()
        assert [n.user_id for n in sent] == [admin.id]
    mails = messages(app, to="boss@example.com")
    assert len(mails) == 1
    body = text(mails[0])
    assert "Last week: 30 sign-ups, 59 members" in body
    assert "Sign-ups were above the band of the 8 weeks before." in body


def test_each_admin_reads_the_digest_in_their_own_language(app, make_user):
    make_user("admin", email="boss@example.com")
    chinese = make_user("owner", email="laoban@example.com")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == chinese.id).values(locale="zh_CN"))
        db.session.commit()
    assert digests_on_monday(app) == [2, 0]
    assert "Last week: 30 sign-ups" in text(messages(app, to="boss@example.com")[0])
    body = text(messages(app, to="laoban@example.com")[0])
    assert "上周：30 人注册" in body and "Last week" not in body


def test_no_digest_on_other_days(app, make_user):
    make_user("admin")
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False), app.test_request_context("/"):
        assert digest.send_digest() == 0


def test_the_band_needs_history_and_flags_both_ways():
    assert digest.outside_band([3, 4, 3, 5], 30) == "above"
    assert digest.outside_band([30, 31, 29, 30], 2) == "below"
    assert digest.outside_band([3, 4, 3, 5], 4) == ""
    assert digest.outside_band([3, 4], 40) == ""
