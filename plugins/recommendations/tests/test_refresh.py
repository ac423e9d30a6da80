"""The refresh after the first: it recomputes only the members who changed since the last run
(and new members), leaves the others' rows alone, and ``--full`` recomputes everyone. The
widget hides what a member bought or finished since the last run, before the next one."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import User, db
from kpay.cli import cli
from plugins.courses.models import Course
from plugins.courses.progress import enrol
from plugins.recommendations.models import Entry, Taken
from plugins.recommendations.refresh import member_owner
from plugins.recommendations.tests.conftest import logged_in

HTMX = {"HX-Request": "true"}


def run(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(cli, ["recs", "refresh", *args])
    assert result.exit_code == 0, result.output
    return result.output


def member_rows(app, user) -> list[int]:
    with app.app_context():
        return db.session.scalars(sa.select(Entry.id).where(Entry.owner == member_owner(user.id))
                                  .order_by(Entry.id)).all()


def test_a_run_after_one_change_recomputes_only_that_member(app, site, make_user):
    assert run(app).startswith("changed: 0 members")  # nothing happened since the fixture's run
    others = member_rows(app, site.other)
    with app.app_context():
        enrol(db.session.get(User, site.learner.id), db.session.get(Course, site.writing))
        db.session.commit()
    assert run(app).startswith("changed: 1 members")
    assert member_rows(app, site.other) == others  # untouched
    with app.app_context():
        taken = db.session.scalar(sa.select(Taken.keys).where(Taken.user_id == site.learner.id))
    assert f"course:{site.writing}" in taken


def test_a_new_member_gets_lists_at_the_next_run_and_full_recomputes_everyone(app, site, make_user):
    newcomer = make_user(name="Nina New")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == newcomer.id).values(interests=["writing"]))
        db.session.commit()
    assert run(app).startswith("changed: 1 members")
    page = logged_in(app, newcomer).get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    assert "Writing That Sells" in page and "Matches your interest: writing" in page
    assert member_rows(app, site.other)
    with app.app_context():  # lists gone stale: only a full run rewrites an unchanged member's
        db.session.execute(sa.delete(Entry).where(Entry.owner == member_owner(site.other.id)))
        db.session.commit()
    assert run(app).startswith("changed: 0 members") and not member_rows(app, site.other)
    assert run(app, "--full").startswith("full: 3 members") and member_rows(app, site.other)


def test_what_a_member_bought_since_the_last_run_leaves_their_lists_at_once(app, site):
    client = logged_in(app, site.learner)
    assert "Data Visualisation" in client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    with app.app_context():  # buying a course enrols its buyer
        enrol(db.session.get(User, site.learner.id), db.session.get(Course, site.paid))
        db.session.commit()
    assert "Data Visualisation" not in client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    assert "Data Visualisation" in logged_in(app, site.other).get(
        "/recommendations/for-you", headers=HTMX).get_data(as_text=True)
