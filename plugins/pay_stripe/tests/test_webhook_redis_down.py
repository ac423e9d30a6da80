"""M5: with Redis out of reach, a webhook still answers 200 at once; its receipt e-mail waits
in the job outbox and goes out when Redis is back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import Job
from kpay.models.commerce import Entitlement
from plugins.pay_stripe.tests.conftest import count, deliver, event, paid_session, stripe_settings


@pytest.fixture
def app(make_app):
    """Stripe configured, Redis configured on a port where nothing listens."""
    return make_app({**stripe_settings(), "redis_url": "redis://127.0.0.1:1/0"})


def test_webhook_answers_200_and_keeps_the_receipt_in_the_outbox_while_redis_is_down(app, client, started_order):
    answer = deliver(client, event("checkout.session.completed", paid_session(started_order)))
    assert answer.status_code == 200
    assert count(app, Entitlement, Entitlement.status == "active") == 1
    with app.app_context():
        waiting = db.session.scalars(sa.select(Job.func).where(Job.status == "pending")).all()
    assert "kpay.mail:deliver" in waiting
