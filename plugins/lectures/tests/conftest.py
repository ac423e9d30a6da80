"""An app with lectures and the sandbox, and lectures made through the plugin's own functions;
every meeting link carries a canary an outsider must never see."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import User
from kpay.models.base import utcnow
from kpay.testing import Auth
from plugins.lectures import lifecycle, zones
from plugins.lectures.models import Lecture

ENABLED = {"plugins": {"enabled": ["lectures", "pay_sandbox"]}, "site_url": "http://kpay.test"}
ZONE = "Asia/Shanghai"


def canary(n) -> str:
    return f"CANARY-LINK-{n}-END"


@pytest.fixture
def app(make_app):
    return make_app(ENABLED)


def wall_in(hours: float, zone: str = ZONE) -> datetime:
    """The wall time in ``zone`` ``hours`` from now, to the minute."""
    moment = zones.in_zone(utcnow() + timedelta(hours=hours), zone).replace(second=0, microsecond=0)
    return moment.replace(tzinfo=None)


def make_lecture(app, creator_id: int, hours: float = 48, zone: str = ZONE, until=None, **values) -> int:
    """A lecture of ``creator_id`` starting ``hours`` from now (the first of a series with
    ``until``), its meeting link holding the canary; its id."""
    with app.test_request_context():
        creator = db.session.get(User, creator_id)
        values = {"title": "Lecture", "minutes": 60, "meeting_url": "https://meet.example/room", **values}
        made = lifecycle.schedule(creator, values, wall_in(hours, zone), zone, until)
        for lecture in made:
            lecture.meeting_url = f"https://meet.example/{canary(lecture.id)}"
        db.session.commit()
        return made[0].id


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user.email)
    return client


def lecture_row(app, lecture_id: int) -> Lecture:
    with app.app_context():
        lecture = db.session.get(Lecture, lecture_id)
        db.session.expunge(lecture)
        return lecture


def count(app, model, **where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


def move(app, lecture_id: int, hours: float) -> None:
    """Move a lecture to ``hours`` from now behind the organizer's back (time passing)."""
    with app.app_context():
        lecture = db.session.get(Lecture, lecture_id)
        lecture.starts_at = utcnow() + timedelta(hours=hours)
        db.session.commit()
