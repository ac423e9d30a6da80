"""Q&A (accepted and experts' answers, the unanswered list), polls (one vote per member, held by
the database), mentions and watches that notify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kpay.extensions import db
from kpay.models import ActivityEvent, Notification
from plugins.forums.models import Ballot, Poll, PollOption, Post
from plugins.forums.tests.conftest import count, scalar


@pytest.fixture
def circle_of(make_user, make_circle, forum):
    def build(*names):
        chen = make_user(role="creator", name="Chen")
        circle = make_circle(chen)
        people = [make_user(name=name) for name in names]
        for person in people:
            forum(person).join(circle)
        return circle, chen, people
    return build


def test_asker_accepts_an_answer_shown_under_the_question(app, forum, circle_of):
    circle, chen, (mei, leo) = circle_of("Mei", "Leo")
    mei_forum, leo_forum = forum(mei), forum(leo)
    question = mei_forum.start_topic(circle, title="How to price?", body="Help", kind="question")
    assert "How to price?" in mei_forum.page(f"/forums/c/{circle}?list=unanswered")
    leo_forum.reply(question, body="Start low")
    forum(chen).reply(question, body="Ask your members")
    expert = mei_forum.page(f"/forums/t/{question}").split('id="post-3"')[1]
    assert "Expert" in expert.split("</header>")[0]
    answer = scalar(app, sa.select(Post.id).where(Post.topic_id == question, Post.number == 2))
    assert leo_forum.post(f"/forums/p/{answer}/accept").status_code == 403
    accepted = mei_forum.post(f"/forums/p/{answer}/accept")
    assert accepted.status_code == 302 and accepted.headers["Location"] == f"/forums/t/{question}#accepted"
    page = mei_forum.page(accepted.headers["Location"])
    assert 'id="post-1"' in page and "How to price?" in page, "the asker lands on the question"
    assert "Answer accepted" in page
    assert page.count("Start low") == 1, "the accepted answer on this page is marked in place, not repeated"
    assert "is-accepted" in page.split('id="post-2"')[0].rsplit("<article", 1)[1]
    assert "How to price?" not in mei_forum.page(f"/forums/c/{circle}?list=unanswered")
    assert count(app, ActivityEvent, ActivityEvent.name == "answer.accepted") == 1
    assert count(app, Notification, Notification.user_id == leo.id, Notification.kind == "forums.activity") == 1


def test_accepted_answer_on_a_later_page_is_shown_under_the_question(app, forum, circle_of, monkeypatch):
    from plugins.forums import lists

    monkeypatch.setattr(lists, "PAGE_SIZE", 2)
    monkeypatch.setattr(lists.posts_for, "__defaults__", (0, 2))
    circle, chen, (mei, leo) = circle_of("Mei", "Leo")
    question = forum(mei).start_topic(circle, title="Long one", body="Help", kind="question")
    for n in range(3):
        forum(leo).reply(question, body=f"Answer {n}")
    answer = scalar(app, sa.select(Post.id).where(Post.topic_id == question, Post.number == 4))
    forum(mei).post(f"/forums/p/{answer}/accept")
    first = forum(mei).page(f"/forums/t/{question}")
    assert 'id="accepted"' in first and first.count("Answer 2") == 1
    later = forum(mei).page(f"/forums/t/{question}?after=2")
    assert 'id="accepted"' not in later and "Answer 2" in later


def test_member_votes_once_and_sees_results_after_voting(app, forum, circle_of):
    circle, chen, (mei, leo) = circle_of("Mei", "Leo")
    topic = forum(chen).start_topic(circle, title="Tool?", body="Pick", kind="poll", poll_options="Figma\nPaper")
    with app.app_context():
        options = [str(o) for o in db.session.scalars(sa.select(PollOption.id).order_by(PollOption.position))]
    mei_forum = forum(mei)
    before = mei_forum.page(f"/forums/t/{topic}")
    assert 'type="radio" name="option"' in before and "0 votes" not in before
    token = mei_forum.token()
    swapped = mei_forum.client.post(f"/forums/t/{topic}/vote", data={"option": options[0]},
                                    headers={"HX-Request": "true", "X-CSRFToken": token})
    assert swapped.get_data(as_text=True).startswith('<section id="poll"') and "1 vote" in swapped.get_data(as_text=True)
    mei_forum.post(f"/forums/t/{topic}/vote", option=options[1])
    assert count(app, Ballot) == 1 and scalar(app, sa.select(Poll.voters)) == 1
    assert "already voted" in mei_forum.page(f"/forums/t/{topic}")
    two = forum(leo).post(f"/forums/t/{topic}/vote", option=options)
    assert two.status_code == 302 and count(app, Ballot) == 1  # single choice: two answers refused


def test_database_refuses_a_second_ballot(app, forum, circle_of):
    circle, chen, (mei,) = circle_of("Mei")
    topic = forum(chen).start_topic(circle, title="Tool?", body="Pick", kind="poll", poll_options="A\nB")
    with app.app_context():
        db.session.add(Ballot(topic_id=topic, user_id=mei.id, choices=[]))
        db.session.commit()
        db.session.add(Ballot(topic_id=topic, user_id=mei.id, choices=[]))
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_results_after_closing_stay_hidden_until_the_poll_closes(app, forum, circle_of):
    circle, chen, (mei,) = circle_of("Mei")
    closes = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    topic = forum(chen).start_topic(circle, title="Secret", body="b", kind="poll", poll_options="A\nB",
                                    poll_results_after="close", poll_closes_at=closes)
    option = scalar(app, sa.select(PollOption.id).order_by(PollOption.id))
    mei_forum = forum(mei)
    mei_forum.post(f"/forums/t/{topic}/vote", option=str(option))
    assert "Results are shown when the poll closes" in mei_forum.page(f"/forums/t/{topic}/poll")
    with app.app_context():
        db.session.execute(sa.update(Poll).values(closes_at=datetime.now(UTC) - timedelta(minutes=1)))
        db.session.commit()
    assert "1 vote" in mei_forum.page(f"/forums/t/{topic}/poll")
    late = forum(chen)
    late.post(f"/forums/t/{topic}/vote", option=str(option))
    assert count(app, Ballot) == 1 and "This poll is closed" in late.page(f"/forums/t/{topic}")


def test_mention_notifies_the_member_who_can_read_it(app, forum, circle_of, make_user):
    circle, chen, (mei, leo) = circle_of("Mei", "Leo")
    make_user(name="Max")  # not in the circle, but the circle is public: may read it
    topic = forum(mei).start_topic(circle, title="Hello", body="Thoughts, @leo and @max? And @nobody.")
    assert count(app, Notification, Notification.kind == "forums.mention") == 2
    url = scalar(app, sa.select(Notification.url).where(Notification.user_id == leo.id))
    assert url.startswith(f"/forums/t/{topic}")


def test_mention_names_exactly_one_member_never_a_prefix(app, forum, circle_of):
    circle, chen, (mei, nina_li, _nina_wang, _sam, _other_sam) = circle_of("Mei", "Nina Li", "Nina Wang", "Sam", "Sam")
    forum(mei).start_topic(circle, title="Names", body="Hi @Nina, @ninali and @Sam!")
    mentioned = [n.user_id for n in _notifications(app, "forums.mention")]
    assert mentioned == [nina_li.id], "@Nina is nobody here, @ninali is Nina Li, two are called Sam"


def test_watchers_of_topic_and_circle_hear_of_new_replies(app, forum, circle_of):
    circle, chen, (mei, leo) = circle_of("Mei", "Leo")
    forum(chen).post(f"/forums/c/{circle}/watch")
    topic = forum(mei).start_topic(circle, title="Watch me")
    assert count(app, Notification, Notification.user_id == chen.id, Notification.kind == "forums.reply") == 1
    forum(leo).reply(topic, body="Reply one")
    assert count(app, Notification, Notification.user_id == mei.id, Notification.kind == "forums.reply") == 1
    assert count(app, Notification, Notification.user_id == leo.id) == 0
    forum(mei).post(f"/forums/t/{topic}/watch")  # stop watching
    forum(leo).reply(topic, body="Reply two")
    assert count(app, Notification, Notification.user_id == mei.id, Notification.kind == "forums.reply") == 1
    assert count(app, Notification, Notification.user_id == chen.id, Notification.kind == "forums.reply") == 3


def test_notifications_speak_each_members_language(app, forum, circle_of):
    from kpay.models import User

    circle, chen, (mei, leo) = circle_of("Mei", "Leo")
    with app.app_context():
        db.session.get(User, leo.id).locale = "zh_CN"
        db.session.commit()
    forum(mei).start_topic(circle, title="Hello", body="@leo and @chen, look")
    texts = {user_id: text for user_id, text in [
        (n.user_id, n.text) for n in _notifications(app, "forums.mention")]}
    assert texts[leo.id] == "Mei 在《Hello》中提到了您" and texts[chen.id] == "Mei mentioned you in Hello"


def _notifications(app, kind):
    with app.app_context():
        return db.session.scalars(sa.select(Notification).where(Notification.kind == kind)).all()


def test_poll_closing_time_is_typed_and_shown_in_each_readers_time_zone(app, forum, circle_of):
    circle, chen, (mei,) = circle_of("Mei")
    host = forum(chen)
    host.client.set_cookie("kpay_tz", "Asia/Shanghai")
    topic = host.start_topic(circle, title="When?", body="b", kind="poll", poll_options="A\nB",
                             poll_closes_at="2030-03-02T07:30")
    assert scalar(app, sa.select(Poll.closes_at)).astimezone(UTC) == datetime(2030, 3, 1, 23, 30, tzinfo=UTC)
    assert "closes 2030-03-02 07:30" in host.page(f"/forums/t/{topic}")
    reader = forum(mei)
    reader.client.set_cookie("kpay_tz", "UTC")
    assert "closes 2030-03-01 23:30" in reader.page(f"/forums/t/{topic}")
