"""The refresh after the first: it recomputes only the members who changed since the last run
(and new members), leaves the others' rows alone, and ``--full`` recomputes everyone. The
widget hides what a member enrolled in since the last run, before the next one. Items come
from the stand-in ``Shelf``."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.api import ActivityEvent, User, db, utcnow
from kpay.testing import PASSWORD
from plugins.recommendations.models import Entry, Taken
from plugins.recommendations.refresh import member_owner
from plugins.recommendations.tests.conftest import HTMX, logged_in, refresh


def member_rows(app, user) -> list[int]:
    with app.app_context():
        return db.session.scalars(sa.select(Entry.id).where(Entry.owner == member_owner(user.id))
                                  .order_by(Entry.id)).all()


def stock(shelf, *members) -> tuple[str, str, str]:
    """Three courses; every member took the first, and the first two members the second."""
    keys = (shelf.offer(1, "Data Analysis Basics", tags=("data",)), shelf.offer(2, "Data Visualisation", tags=("data",)),
            shelf.offer(3, "Writing That Sells", tags=("writing",)))
    for n, member in enumerate(members):
        shelf.took(member.id, keys[0])
        if n < 2:
            shelf.took(member.id, keys[1])
    return keys


def test_a_run_after_one_change_recomputes_only_that_member(app, shelf, make_user):
    learner, other = make_user(name="Leo Learner"), make_user(name="Olga Other")
    basics, _, writing = stock(shelf, other, learner)
    assert refresh(app).startswith("full: 2 members")
    assert refresh(app).startswith("changed: 0 members")  # nothing happened since
    others = member_rows(app, other)
    shelf.took(learner.id, writing)
    assert refresh(app).startswith("changed: 1 members")
    assert member_rows(app, other) == others  # untouched
    with app.app_context():
        assert writing in db.session.scalar(sa.select(Taken.keys).where(Taken.user_id == learner.id))


def test_a_new_member_gets_lists_at_the_next_run_and_full_recomputes_everyone(app, shelf, make_user):
    first, second, third = (make_user(name=name) for name in ("Olga Other", "Oscar Other", "Tina Third"))
    stock(shelf, first, second, third)  # the third took only the first course: the second is for them
    refresh(app)
    newcomer = make_user(name="Nina New")
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == newcomer.id).values(interests=["writing"]))
        db.session.commit()
    assert refresh(app).startswith("changed: 1 members")
    page = logged_in(app, newcomer.email, PASSWORD).get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    assert "Writing That Sells" in page and "Matches your interest: writing" in page
    assert member_rows(app, third)
    with app.app_context():  # lists gone stale: only a full run rewrites an unchanged member's
        db.session.execute(sa.delete(Entry).where(Entry.owner == member_owner(third.id)))
        db.session.commit()
    assert refresh(app).startswith("changed: 0 members") and not member_rows(app, third)
    assert refresh(app, "--full").startswith("full: 4 members") and member_rows(app, third)


def test_what_a_member_enrolled_in_since_the_last_run_leaves_their_lists_at_once(app, shelf, make_user):
    learner, other = make_user(name="Leo Learner"), make_user(name="Olga Other")
    shelf.offer(1, "Data Analysis Basics", tags=("data",))
    shelf.offer(2, "Data Visualisation", tags=("data",))
    shelf.took(learner.id, "course:1", action="completed", weight=3.0)
    shelf.took(make_user(name="Mia Member").id, "course:2")  # so it is popular for Olga, who took nothing
    refresh(app)
    client = logged_in(app, learner.email, PASSWORD)
    assert "Data Visualisation" in client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    with app.app_context():  # what the courses plugin records when a member enrols (buying enrols the buyer)
        db.session.add(ActivityEvent(name="course.enrolled", user_id=learner.id, subject_type="courses_courses",
                                     subject_id="2", data={}, created_at=utcnow()))
        db.session.commit()
    assert "Data Visualisation" not in client.get("/recommendations/for-you", headers=HTMX).get_data(as_text=True)
    assert "Data Visualisation" in logged_in(app, other.email, PASSWORD).get(
        "/recommendations/for-you", headers=HTMX).get_data(as_text=True)
