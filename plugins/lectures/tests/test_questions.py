"""Questions ahead and live: attendees ask and upvote once, the speaker sees them by votes and
marks them answered, the live list answers 304 when nothing changed, outsiders are refused."""

from __future__ import annotations

import re

from kpay.testing import csrf_token
from plugins.lectures.models import Question, Vote
from plugins.lectures.tests.conftest import count, logged_in, make_lecture
from plugins.lectures.tests.test_seats import answer


def ask(client, lecture_id, text):
    token = csrf_token(client.get(f"/live/{lecture_id}"))
    return client.post(f"/live/{lecture_id}/questions", data={"csrf_token": token, "body": text})


def vote(client, question_id, token):
    return client.post(f"/live/questions/{question_id}/vote", data={"csrf_token": token})


def test_attendees_ask_and_upvote_once_and_the_speaker_sorts_and_answers(app, make_user):
    creator, ann, bob, outsider = make_user(role="creator"), make_user(), make_user(), make_user()
    lecture_id = make_lecture(app, creator.id)
    one, two = logged_in(app, ann), logged_in(app, bob)
    answer(one, lecture_id, "going")
    answer(two, lecture_id, "going")
    assert ask(one, lecture_id, "What about async?").status_code == 302
    ask(two, lecture_id, "And typing?")
    with app.app_context():
        from kpay.extensions import db
        import sqlalchemy as sa

        async_id, typing_id = db.session.scalars(sa.select(Question.id).order_by(Question.id)).all()
    token = csrf_token(two.get(f"/live/{lecture_id}"))
    assert vote(two, async_id, token).status_code == 302
    assert vote(two, async_id, token).status_code == 409
    assert vote(one, async_id, csrf_token(one.get(f"/live/{lecture_id}"))).status_code == 409  # own question
    assert count(app, Vote) == 1

    speaker = logged_in(app, creator)
    page = speaker.get(f"/live/{lecture_id}/questions").get_data(as_text=True)
    assert page.index("What about async?") < page.index("And typing?")
    speaker.post(f"/live/questions/{async_id}/answered", data={"csrf_token": csrf_token(speaker.get("/live/"))})
    page = speaker.get(f"/live/{lecture_id}/questions").get_data(as_text=True)
    assert page.index("And typing?") < page.index("What about async?")

    refused = ask(logged_in(app, outsider), lecture_id, "Let me in")
    assert refused.status_code == 403 and count(app, Question) == 2
    assert vote(logged_in(app, outsider), typing_id, token).status_code in (400, 403)


def test_the_live_list_answers_304_until_something_changes(app, make_user):
    creator, member = make_user(role="creator"), make_user()
    lecture_id = make_lecture(app, creator.id, hours=0.5)
    client = logged_in(app, member)
    answer(client, lecture_id, "going")
    partial = client.get(f"/live/{lecture_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    page = client.get(f"/live/{lecture_id}").get_data(as_text=True)
    assert 'hx-trigger="every 10s"' in page and "lecture-rsvp" in partial
    first = client.get(f"/live/{lecture_id}/questions", headers={"HX-Request": "true"})
    etag = first.headers["ETag"]
    again = client.get(f"/live/{lecture_id}/questions", headers={"HX-Request": "true", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    ask(client, lecture_id, "Is it recorded?")
    changed = client.get(f"/live/{lecture_id}/questions", headers={"HX-Request": "true", "If-None-Match": etag})
    assert changed.status_code == 200 and "Is it recorded?" in changed.get_data(as_text=True)
    assert re.search(r'id="lecture-questions"', changed.get_data(as_text=True))
