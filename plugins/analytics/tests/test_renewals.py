"""Renewal rate and churn of memberships against a hand count of members' periods."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kpay.api import Product, db, grant_entitlement, revoke_entitlement, today, utcnow
from kpay.testing import Auth
from plugins.analytics import renewals
from tests.commerce_helpers import make_product


@pytest.fixture
def periods(app, make_user):
    """30-day periods of one membership, granted ``n`` days before now (the hand count below)."""
    creator = make_user("creator")
    club, course = make_product(app, creator, kind="membership", period_days=30), make_product(app, creator)
    now = utcnow()
    ago = lambda days: now - timedelta(days=days)  # noqa: E731
    a, b, c, d, e = (make_user().id for _ in range(5))
    with app.test_request_context("/"):
        membership, one_time = db.session.get(Product, club), db.session.get(Product, course)
        grant_entitlement(a, membership, "a1", ago(70))  # ends 40 days ago, renewed early by a2
        grant_entitlement(a, membership, "a2", ago(50))  # runs from 40 to 10 days ago: churned
        grant_entitlement(b, membership, "b1", ago(45))  # ends 15 days ago, renewed 3 days later
        grant_entitlement(b, membership, "b2", ago(12))  # still running: not due
        grant_entitlement(c, membership, "c1", ago(60))  # ends 30 days ago; back 10 days later: churned
        grant_entitlement(c, membership, "c2", ago(20))  # still running
        grant_entitlement(d, membership, "d1", ago(33))  # ended 3 days ago: awaiting
        grant_entitlement(e, membership, "e1", ago(50))  # refunded: revoked, not counted
        revoke_entitlement("e1", "refund", ago(49))
        grant_entitlement(e, one_time, "e2", ago(50))  # not a membership
        db.session.commit()
    return now


def test_renewals_and_churn_match_a_hand_count(app, periods):
    with app.test_request_context("/"):
        found = renewals.count(today() - timedelta(days=59), today(), periods)
        assert (found.renewed, found.churned, found.awaiting) == (2, 2, 1)  # a1 b1 | a2 c1 | d1
        assert found.rate == 0.5 and found.churn == 0.5
        recent = renewals.count(today() - timedelta(days=20), today(), periods)
        assert (recent.renewed, recent.churned, recent.awaiting) == (1, 1, 1)  # b1 | a2 | d1


def test_the_dashboard_shows_renewal_rate_and_churn_with_their_counts(app, client, make_user, periods):
    Auth(client).login(make_user("admin").email)
    with app.app_context():
        end, start = today(), today() - timedelta(days=59)
    page = client.get(f"/analytics/?start={start}&end={end}").get_data(as_text=True)
    assert "50.0% (2 / 4)" in page
    empty = client.get(f"/analytics/?start={end}&end={end}").get_data(as_text=True)
    assert "no membership ended" in empty
