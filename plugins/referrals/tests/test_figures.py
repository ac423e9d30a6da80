"""The operator's kept figures: after a sweep they equal the figures counted from the activity
itself, a referral after the sweep shows after the next one, and the page says how fresh they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import User
from kpay.testing import Auth
from plugins.referrals import stats
from plugins.referrals.models import Attribution
from plugins.referrals.tests.conftest import login, pay, refund, sign_up_through, sweep

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _move(user_id: int, days_ago: int) -> None:
    """The member joined (and, when invited, signed up) ``days_ago`` days before ``NOW``."""
    when = NOW - timedelta(days=days_ago)
    db.session.execute(sa.update(User).where(User.id == user_id).values(created_at=when))
    db.session.execute(sa.update(Attribution).where(Attribution.invitee_id == user_id).values(signed_up_at=when))


def _community(app, make_user, product) -> None:
    """Three generations over five months: paid, refunded in full and in part, and a sign-up
    from the referrer's own browser (flagged as self-referral)."""
    alice, dan = make_user(name="Alice"), make_user(name="Dan")
    browser = login(app, alice)
    Auth(browser).logout()
    twin = sign_up_through(app, alice, "twin@example.com", name="Twin", client=browser)
    bo = sign_up_through(app, alice, "bo@example.com", name="Bo")
    cy = sign_up_through(app, bo, "cy@example.com", name="Cy")
    di = sign_up_through(app, cy, "di@example.com", name="Di")
    eve = sign_up_through(app, dan, "eve@example.com", name="Eve")
    fay = sign_up_through(app, dan, "fay@example.com", name="Fay")
    pay(app, bo.id, product)
    pay(app, twin.id, product)
    refund(app, pay(app, cy.id, product))
    refund(app, pay(app, eve.id, product), 5000)
    pay(app, fay.id, product)
    with app.app_context():
        assert db.session.scalar(sa.select(Attribution.flagged).where(Attribution.invitee_id == twin.id))
        for user, days_ago in ((alice, 150), (dan, 120), (twin, 100), (bo, 95), (cy, 60), (di, 20), (eve, 50),
                               (fay, 3)):
            _move(user.id, days_ago)
        db.session.commit()


def test_kept_figures_equal_the_figures_counted_from_the_activity(app, make_user, product):
    _community(app, make_user, product)
    with app.app_context():
        stats.sweep(NOW)
        for days in stats.PERIODS:
            kept, counted = stats.figures(days), stats.compute(NOW, days)
            assert kept == counted, days
        year = stats.figures(365)
        assert [(root.name, root.size, root.depth, root.invited) for root in year.roots] == [
            ("Alice", 4, 3, 2), ("Dan", 2, 1, 2)]
        assert sum(c.signups for c in year.cohorts) == 6
        assert sum(c.converted for c in year.cohorts) == 4  # Cy was refunded in full
        assert stats.figures(30).leaders == [("Dan", 1, 1), ("Cy", 1, 0)]
        assert year.as_of == NOW


def test_a_referral_after_the_sweep_shows_after_the_next_one(app, make_user):
    alice = make_user(name="Alice")
    admin = login(app, make_user("admin"))
    assert "The figures are on their way" in admin.get("/referrals/admin").get_data(as_text=True)
    sweep(app)
    before = admin.get("/referrals/admin").get_data(as_text=True)
    assert "Figures as of" in before and "Nobody has invited anyone yet." in before
    sign_up_through(app, alice, "bo@example.com", name="Bo")
    assert "Nobody has invited anyone yet." in admin.get("/referrals/admin").get_data(as_text=True)
    sweep(app)
    after = admin.get("/referrals/admin?days=7").get_data(as_text=True)
    assert "Nobody has invited anyone yet." not in after
    assert "<strong>Alice</strong>" in after and "1 sign-up" in after
