"""Points for what members do in circles and courses, caps, and reversals."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.extensions import db
from kpay.models import ActivityEvent, Notification, User
from plugins.gamification.tests.conftest import balance, entries, gamification_config


def _question_with_answer(person, circle, asker, answerer) -> tuple[int, int]:
    """A question by ``asker`` and a reply by ``answerer``: (topic id, reply post id)."""
    circle_id, _ = circle
    a, b = person(asker), person(answerer)
    a.post(f"/forums/c/{circle_id}/join")
    b.post(f"/forums/c/{circle_id}/join")
    response = a.post(f"/forums/c/{circle_id}/new", title="How do I start?", body="Where to begin?", kind="question")
    topic_id = int(response.headers["Location"].split("/t/")[1].split("?")[0].split("#")[0])
    b.post(f"/forums/t/{topic_id}/reply", body="Start with chapter one.")
    with person(asker).app.app_context():  # the reply's id, as its activity event names it
        post_id = int(db.session.scalar(sa.select(ActivityEvent.subject_id).where(
            ActivityEvent.name == "reply.created", ActivityEvent.user_id == answerer.id)))
    return topic_id, post_id


def test_accepted_answer_earns_points_once_and_deleting_it_takes_them_back(app, person, circle, make_user):
    asker, answerer = make_user(name="Asker"), make_user(name="Answerer")
    topic_id, post_id = _question_with_answer(person, circle, asker, answerer)
    before = balance(app, answerer)  # first post of the day
    assert before == 2
    person(asker).post(f"/forums/p/{post_id}/accept")
    person(asker).post(f"/forums/p/{post_id}/accept")  # a double click
    assert balance(app, answerer) == before + 15
    assert balance(app, asker) == 2 + 3  # first post of the day and a question asked

    person(answerer).post(f"/forums/p/{post_id}/delete")
    assert balance(app, answerer) == 0  # the answer's points and its first-post points, each once
    person(answerer).post(f"/forums/p/{post_id}/delete")
    assert balance(app, answerer) == 0
    page = person(answerer).page("/gamification/me")
    assert "Answer accepted (taken back)" in page


def test_likes_count_for_the_author_never_self_and_unlike_takes_back(app, person, circle, make_user):
    asker, answerer, fan = make_user(), make_user(), make_user()
    _, post_id = _question_with_answer(person, circle, asker, answerer)
    person(fan).post(f"/forums/c/{circle[0]}/join")
    start = balance(app, answerer)
    person(fan).post(f"/forums/p/{post_id}/like", like="1")
    assert balance(app, answerer) == start + 1
    assert balance(app, fan) == 0
    person(fan).post(f"/forums/p/{post_id}/like", like="0")
    assert balance(app, answerer) == start
    person(fan).post(f"/forums/p/{post_id}/like", like="0")  # unliking twice takes nothing more
    assert balance(app, answerer) == start
    person(answerer).post(f"/forums/p/{post_id}/like", like="1")  # refused by the forum; never points
    assert balance(app, answerer) == start


def test_lecture_and_referral_events_by_name_and_refund_reverses_the_referral(make_app, make_user):
    app = make_app(gamification_config(cap_lecture_attended=2))
    member, friend, other = make_user(), make_user(), make_user()
    from plugins.gamification import rules

    with app.app_context():
        from kpay.types import Event
        from kpay.api import utcnow

        for number in range(1, 4):
            rules.on_event(Event(number, "lecture.attended", member.id, "lectures_lectures", str(number), {}, utcnow()))
        rules.on_event(Event(9, "referral.converted", friend.id, "referrals_referrals", "4",
                             {"referrer_id": other.id, "order_id": 77}, utcnow()))
        rules.on_event(Event(10, "referral.converted", friend.id, "referrals_referrals", "4",
                             {"referrer_id": other.id, "order_id": 77}, utcnow()))  # replayed
        db.session.commit()
    assert balance(app, member) == 20  # the cap of two a day
    assert balance(app, other) == 30
    with app.app_context():
        rules.on_event(Event(11, "order.refunded", friend.id, "orders", "77", {}, utcnow()))
        rules.on_event(Event(12, "order.refunded", friend.id, "orders", "77", {}, utcnow()))
        db.session.commit()
    assert balance(app, other) == 0
    assert [amount for amount, _ in entries(app, other)] == [30, -30]


def test_reaching_a_level_announces_it_once_and_shows_the_badge_beside_the_name(app, person, make_user):
    member = make_user(name="Nina Li")
    from kpay.types import Event
    from kpay.api import utcnow
    from plugins.gamification import rules

    with app.app_context():
        for number in range(1, 6):  # 5 lessons x 5 points: level 2 (20 points)
            rules.on_event(Event(number, "lesson.completed", member.id, "courses_lessons", str(number), {}, utcnow()))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityEvent).where(
            ActivityEvent.name == "level.reached")) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.user_id == member.id)) == 1
    page = person(member).page(f"/u/{member.id}")
    assert 'class="level-badge level-2"' in page
    me = person(member).page("/gamification/me")
    assert "Level 2: Learner" in me and "25 points" in me


def test_the_badges_on_a_circle_and_its_topic_speak_each_readers_language(app, person, circle):
    circle_id, creator = circle
    response = person(creator).post(f"/forums/c/{circle_id}/new", title="Welcome", body="Say hello", kind="discussion")
    topic_url = response.headers["Location"]
    reader = person(creator)
    for url in (f"/forums/c/{circle_id}", topic_url, f"/forums/c/{circle_id}"):  # kept after the first reader
        english = reader.page(url)
        chinese = reader.client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        assert english.count('title="Level 1: Newcomer"') == 2 and "新人" not in english  # the nav's and the post's
        assert chinese.count('title="1 级：新人"') == 2 and "Newcomer" not in chinese


def test_an_admin_finds_every_rule_and_the_levels_in_the_plugin_settings(make_user, person):
    page = person(make_user("owner")).page("/admin/plugins/gamification/settings")
    for rule in ("points_answer_accepted", "cap_reply_liked", "points_referral_converted", "points_daily_checkin"):
        assert f'name="{rule}"' in page
    assert "0|Newcomer|新人" in page
