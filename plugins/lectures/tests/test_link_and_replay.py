"""The meeting link reaches only confirmed attendees inside the window (canary over every route,
partial, e-mail, calendar and search document); joining counts attendance once; the replay is
for those with access, and those who came or waited are told."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import Notification
from kpay.models.events import ActivityEvent
from kpay.models.mail import EmailMessage
from kpay.testing import assert_outsiders_see_nothing, csrf_token
from plugins.lectures import records
from plugins.lectures.models import FeedToken, Question
from plugins.lectures.tests.conftest import canary, count, logged_in, make_lecture, move
from plugins.lectures.tests.test_reminders import sweep_in_workers
from plugins.lectures.tests.test_seats import answer
from tests.commerce_helpers import add_product, buy

REPLAY = "https://player.bilibili.com/player.html?bvid=BV1GJ411x7h7"


def test_only_a_confirmed_attendee_in_the_window_sees_and_joins_the_link(app, make_user):
    creator, member, waiting = make_user(role="creator"), make_user(), make_user()
    lecture_id = make_lecture(app, creator.id, hours=3, capacity=1)
    client, other = logged_in(app, member), logged_in(app, waiting)
    answer(client, lecture_id, "going")
    answer(other, lecture_id, "going")
    assert "Join the lecture" not in client.get(f"/live/{lecture_id}").get_data(as_text=True)
    token = csrf_token(client.get("/live/"))
    assert client.post(f"/live/{lecture_id}/join", data={"csrf_token": token}).status_code == 403
    move(app, lecture_id, 0.1)
    assert "Join the lecture" in client.get(f"/live/{lecture_id}").get_data(as_text=True)
    for _ in range(2):
        joined = client.post(f"/live/{lecture_id}/join", data={"csrf_token": token})
        assert joined.status_code == 302 and joined.headers["Location"].endswith(canary(lecture_id))
    assert other.post(f"/live/{lecture_id}/join", data={"csrf_token": csrf_token(other.get("/live/"))}
                      ).status_code == 403
    with app.app_context():
        attended = db.session.scalars(sa.select(ActivityEvent.user_id).filter_by(name="lecture.attended")).all()
    assert attended == [member.id]
    move(app, lecture_id, -2)  # over: the link is gone again
    assert "Join the lecture" not in client.get(f"/live/{lecture_id}").get_data(as_text=True)


def test_outsiders_never_see_the_link_anywhere(app, make_user):
    creator, buyer, member = make_user(role="creator"), make_user(), make_user()
    product_id = add_product(app, creator.id, name="Live class")
    lecture_id = make_lecture(app, creator.id, hours=0.1, product_id=product_id, description="Public words")
    client = logged_in(app, buyer)
    buy(client, product_id)
    answer(client, lecture_id, "going")
    client.post(f"/live/{lecture_id}/questions", data={"csrf_token": csrf_token(client.get("/live/")),
                                                          "body": "Hello?"})
    with app.app_context():
        question_id = db.session.scalar(sa.select(Question.id))
    client.post("/live/calendar", data={"csrf_token": csrf_token(client.get("/live/calendar"))})
    with app.app_context():
        records_token = db.session.scalar(sa.select(FeedToken.token))
    assert_outsiders_see_nothing(app, "lectures", canary(lecture_id), {
        "lecture_id": lecture_id, "question_id": question_id, "token": "not-" + records_token[4:],
    }, member=member, member_changes_nothing=False)
    sweep_in_workers(app)  # the quarter-hour reminder
    with app.app_context():
        bodies = db.session.scalars(sa.select(EmailMessage.text_body)).all()
        notices = db.session.scalars(sa.select(Notification.text)).all()
        documents = list(records.search_documents(None))
    assert bodies and all(canary(lecture_id) not in body for body in bodies + notices)
    assert documents and all(canary(lecture_id) not in d.body + d.title + d.url for d in documents)
    feed = app.test_client().get(f"/live/feed/{records_token}.ics").data
    assert b"SUMMARY:Lecture" in feed and canary(lecture_id).encode() not in feed


def test_replay_is_for_those_with_access_and_attendees_are_told(app, make_user):
    creator, buyer, member = make_user(role="creator"), make_user(), make_user()
    product_id = add_product(app, creator.id, name="Live class")
    lecture_id = make_lecture(app, creator.id, hours=3, product_id=product_id)
    client = logged_in(app, buyer)
    buy(client, product_id)
    answer(client, lecture_id, "going")
    move(app, lecture_id, -3)
    owner = logged_in(app, creator)
    url = f"/live/studio/{lecture_id}"
    refused = owner.post(f"{url}/replay", data={"csrf_token": csrf_token(owner.get(url)),
                                                 "replay_url": "https://evil.example/x"})
    assert refused.status_code == 422 and "Embed only https players" in refused.get_data(as_text=True)
    owner.post(f"{url}/replay", data={"csrf_token": csrf_token(owner.get(url)), "replay_url": REPLAY,
                                      "replay_notes": "Slides *here*"})
    page = client.get(f"/live/{lecture_id}").get_data(as_text=True)
    assert REPLAY.replace("&", "&amp;") in page and "<em>here</em>" in page
    assert REPLAY not in logged_in(app, member).get(f"/live/{lecture_id}").get_data(as_text=True)
    assert count(app, Notification, user_id=buyer.id) == 1
