"""How a lecture's time is shown: in the viewer's zone (their setting, else their browser's, else the
site's: ``kpay.i18n.select_timezone``), with the organizer's wall time and zone beside it when
they differ."""

from __future__ import annotations

from flask_babel import format_date, format_time, get_timezone

from plugins.lectures.zones import in_zone


def lecture_time(lecture, style: str = "medium") -> str:
    """``lecture``'s start for the viewer, e.g. "Dec 8, 2026, 20:00 (Asia/Shanghai)", plus the
    organizer's "· 2026-12-08 13:00 Europe/Berlin" when their zone is another."""
    viewer = get_timezone()
    local = lecture.starts_at.astimezone(viewer)
    shown = f"{format_date(local, style)}, {format_time(local, 'short')} ({viewer})"
    if lecture.zone != str(viewer):
        shown += f" · {in_zone(lecture.starts_at, lecture.zone):%Y-%m-%d %H:%M} {lecture.zone}"
    return shown
