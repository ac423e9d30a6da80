"""The daily backup the worker's clock takes at ``backup.at`` in the site's time zone, once a
day across all clocks, and the retention that keeps the newest archive of each of the last
``keep_daily`` days, ``keep_weekly`` weeks and ``keep_monthly`` months."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from kpay.backup import archive
from kpay.extensions import db
from kpay.hookspecs import hookimpl
from kpay.mail import send_email
from kpay.models import ScheduleRun, User
from kpay.models.base import utcnow
from kpay.transactions import insert_once
from kpay.types import Schedule

log = logging.getLogger("kpay.backup")
NAME = re.compile(r"kpay-backup-(\d{8})-(\d{6})(-\d+)?\.tar\.gz")


@hookimpl
def kpay_schedules():
    return [Schedule("backup.daily", take_daily, minutes=1)]


def take_daily(now: datetime | None = None) -> Path | None:
    """Take today's backup when ``backup.folder`` is set, it is past ``backup.at`` in the
    site's zone and no clock has taken it yet; then prune. The archive's path, or None."""
    settings = current_app.config["KPAY"]["backup"]
    if not settings["folder"]:
        return None
    local = (now or utcnow()).astimezone(ZoneInfo(current_app.config["KPAY"]["timezone"]))
    if local.strftime("%H:%M") < settings["at"]:
        return None
    if insert_once(ScheduleRun, ("name", "slot"), name="backup.day", slot=local.date().toordinal()) is None:
        return None
    db.session.commit()  # the claim holds even if the backup fails
    passphrase = None
    if settings["passphrase_file"]:
        passphrase = Path(settings["passphrase_file"]).read_text().splitlines()[0].strip()
    folder = Path(settings["folder"])
    try:
        path = archive.create(folder, passphrase=passphrase)
    except Exception as error:
        _tell_owners(error)
        db.session.commit()
        raise
    log.info("backup written: %s (%d bytes)", path, path.stat().st_size)
    prune(folder, settings["keep_daily"], settings["keep_weekly"], settings["keep_monthly"])
    return path


def _tell_owners(error: Exception) -> None:
    """E-mail every active owner that today's backup failed, and why."""
    site = current_app.config["KPAY"]["site_name"]
    owners = db.session.scalars(sa.select(User).where(User.role == "owner", User.status == "active"))
    for owner in owners:
        with force_locale(owner.locale or current_app.config["KPAY"]["default_locale"]):
            subject = _("The backup of %(site)s failed", site=site)
        send_email(owner.email, subject, "backup_failed", locale=owner.locale,
                   name=owner.display_name, site=site, error=str(error) or type(error).__name__)


def prune(folder: Path, daily: int, weekly: int, monthly: int) -> list[Path]:
    """Delete the archives in ``folder`` no retention rule keeps; the deleted paths."""
    dated = []
    for path in folder.iterdir():
        match = NAME.fullmatch(path.name)
        if match:
            dated.append((datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S"), path))
    dated.sort(reverse=True)
    keep: set[Path] = set()
    for count, period in ((daily, lambda d: d.date()), (weekly, lambda d: d.isocalendar()[:2]),
                          (monthly, lambda d: (d.year, d.month))):
        seen: list[object] = []
        for when, path in dated:
            if period(when) not in seen:
                if len(seen) == count:
                    break
                seen.append(period(when))
                keep.add(path)
    deleted = [path for _, path in dated if path not in keep]
    for path in deleted:
        path.unlink()
    return deleted
