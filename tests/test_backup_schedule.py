"""The daily backup: taken once per day after ``backup.at`` in the site's zone, by whichever
clock comes first; old archives pruned by the daily/weekly/monthly retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from kpay.app import create_app
from kpay.backup.scheduled import prune, take_daily
from kpay.backup.database import BackupError
from kpay.config import ConfigError
from kpay.extensions import db
from kpay.models.mail import EmailMessage


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_daily_backup_once_per_day_after_its_time_in_the_site_zone(make_app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    settings = {"timezone": "Asia/Shanghai", "backup": {"folder": str(folder), "at": "03:00"}}
    first, second = make_app(settings), make_app(settings)  # two workers' clocks, one database

    def take(app, moment: str):
        with time_machine.travel(at(moment), tick=False), app.app_context():
            return take_daily()

    assert take(first, "2026-12-05T18:59:00") is None  # 02:59 in Shanghai
    taken = take(first, "2026-12-05T19:00:30")
    assert taken is not None and taken.name == "kpay-backup-20261205-190030.tar.gz"
    assert take(second, "2026-12-05T19:05:00") is None
    assert take(second, "2026-12-06T19:01:00") is not None  # the next day
    assert len(list(folder.glob("kpay-backup-*.tar.gz"))) == 2


def test_no_folder_no_scheduled_backup(app):
    with app.app_context():
        assert take_daily(at("2026-12-05T23:00:00")) is None


def test_retention_keeps_newest_per_day_week_and_month(tmp_path):
    start = datetime(2026, 1, 1, 3, 0, 0)
    for day in range(120):
        when = start + timedelta(days=day)
        (tmp_path / f"kpay-backup-{when:%Y%m%d-%H%M%S}.tar.gz").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not an archive")
    prune(tmp_path, daily=3, weekly=2, monthly=2)
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == [
        "kpay-backup-20260331-030000.tar.gz",  # newest of March (monthly)
        "kpay-backup-20260426-030000.tar.gz",  # newest of the week before, a Sunday (weekly)
        "kpay-backup-20260428-030000.tar.gz",  # the last three days; this week; April
        "kpay-backup-20260429-030000.tar.gz",
        "kpay-backup-20260430-030000.tar.gz",
        "notes.txt",
    ]


def test_a_bad_backup_time_is_refused_at_start(tmp_path):
    with pytest.raises(ConfigError, match="backup.at: expected a time such as '03:00'"):
        create_app({"instance_path": str(tmp_path), "backup": {"at": "3 am"}, "plugins": {"enabled": []}})


def test_a_failed_backup_is_e_mailed_to_the_owner(make_app, make_user, tmp_path):
    app = make_app({"backup": {"folder": str(tmp_path / "gone"), "at": "00:00"}})
    owner = make_user("owner")
    make_user("admin")
    with app.app_context(), pytest.raises(BackupError, match="does not exist"):
        take_daily()
    with app.app_context():
        sent = db.session.scalars(sa.select(EmailMessage)).all()
    assert [message.to_address for message in sent] == [owner.email]
    assert "failed" in sent[0].subject
    assert "does not exist" in sent[0].text_body
