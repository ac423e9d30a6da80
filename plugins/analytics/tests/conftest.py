"""An app with analytics beside the plugins whose events it reads, and helpers to record
activity and roll it up as the job would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from kpay.api import emit, utcnow
from kpay.extensions import db
from kpay.models import User
from plugins.analytics import rollup

PLUGINS = ["analytics", "forums", "courses", "pay_sandbox"]
NOON = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # a Wednesday after the tests' fixed dates; one date from UTC-11 to +11


@pytest.fixture(autouse=True)
def midday():
    """Each test starts at noon with its clock ticking: the day and month its visits, salts,
    sign-ups and cohorts count in cannot turn over between two steps, as at a real midnight."""
    with time_machine.travel(NOON, tick=True):
        yield


@pytest.fixture
def app(make_app):
    return make_app({"plugins": {"enabled": PLUGINS}})


def record(app, name: str, user_id: int | None = None, **data) -> None:
    """Emit activity event ``name`` as a plugin would (``user_id`` the member)."""
    with app.test_request_context("/"):
        user = db.session.get(User, user_id) if user_id else None
        emit(name, user=user, **data)
        db.session.commit()


def roll(app) -> int:
    """Run the rollup job as the clock does, for everything recorded so far."""
    with app.app_context():
        return rollup.run(utcnow() + rollup.LAG + timedelta(seconds=1))
