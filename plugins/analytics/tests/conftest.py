"""An app with analytics beside the plugins whose events it reads, and helpers to record
activity and roll it up as the job would."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kpay.api import emit, utcnow
from kpay.extensions import db
from kpay.models import User
from plugins.analytics import rollup
from tests.conftest import at_noon  # noqa: F401 (fixture)

PLUGINS = ["analytics", "forums", "courses", "pay_sandbox"]


@pytest.fixture(autouse=True)
def midday(at_noon):
    """Every test starts at noon: the day and month its visits, salts, sign-ups and cohorts
    count in cannot turn over between two steps, as they would at a real midnight."""


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
