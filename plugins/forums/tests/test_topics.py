"""Topics and replies as members write them: quote-reply, edits marked "edited", soft deletes,
likes with and without htmx, tags, bad input, locked topics and the posting rate limit."""

from __future__ import annotations

import sqlalchemy as sa

from kpay.models import ActivityEvent
from plugins.forums.models import Circle, Like, Post, Topic
from plugins.forums.tests.conftest import count, forums_config, scalar


def _circle_with(make_user, make_circle, forum, *names):
    chen = make_user(role="creator", name="Chen")
    circle = make_circle(chen)
    people = [make_user(name=name) for name in names]
    clients = [forum(person) for person in people]
    for client in clients:
        client.join(circle)
    return circle, chen, people, clients


def circle_name(app, circle) -> str:
    return scalar(app, sa.select(Circle.name).where(Circle.id == (circle if isinstance(circle, int) else circle.id)))


def test_member_starts_a_topic_and_another_replies_with_a_quote(app, forum, make_user, make_circle):
    circle, _, (mei, leo), (mei_forum, leo_forum) = _circle_with(make_user, make_circle, forum, "Mei", "Leo")
    topic = mei_forum.start_topic(circle, title="Where to start?", body="I am *new* here", tags="Start, help")
    page = leo_forum.page(f"/forums/t/{topic}")
    assert "Where to start?" in page and "<em>new</em>" in page and "#start" in page and "#help" in page
    opening = scalar(app, sa.select(Post.id).where(Post.topic_id == topic, Post.number == 1))
    form = leo_forum.page(f"/forums/t/{topic}/reply?quote={opening}")
    assert "&gt; I am *new* here" in form and "Quoting Mei #1" in form
    response = leo_forum.reply(topic, body="> I am *new* here\n\nWelcome!", quote_of=str(opening))
    assert response.status_code == 302 and response.headers["Location"].endswith("#post-2")
    page = mei_forum.page(f"/forums/t/{topic}")
    assert "In reply to Mei #1" in page and "<blockquote>" in page and "Welcome!" in page
    assert scalar(app, sa.select(Topic.reply_count).where(Topic.id == topic)) == 1
    assert count(app, ActivityEvent, ActivityEvent.name == "topic.created") == 1
    assert count(app, ActivityEvent, ActivityEvent.name == "reply.created") == 1
    said = scalar(app, sa.select(ActivityEvent.data).where(ActivityEvent.name == "reply.created"))
    assert said["title"] == "Where to start?" and said["circle_name"] == circle_name(app, circle)  # for analytics


def test_author_edits_and_the_post_shows_edited(app, forum, make_user, make_circle):
    circle, _, (mei, leo), (mei_forum, leo_forum) = _circle_with(make_user, make_circle, forum, "Mei", "Leo")
    topic = mei_forum.start_topic(circle, title="Typo here", body="teh body")
    post = scalar(app, sa.select(Post.id).where(Post.topic_id == topic))
    assert leo_forum.get(f"/forums/p/{post}/edit").status_code == 403
    assert mei_forum.post(f"/forums/p/{post}/edit", title="No typo", body="the body").status_code == 302
    page = leo_forum.page(f"/forums/t/{topic}")
    assert "No typo" in page and "the body" in page and "edited " in page


def test_author_deletes_own_reply_softly(app, forum, make_user, make_circle):
    circle, _, (mei, leo), (mei_forum, leo_forum) = _circle_with(make_user, make_circle, forum, "Mei", "Leo")
    topic = mei_forum.start_topic(circle)
    leo_forum.reply(topic, body="Regrettable words")
    reply = scalar(app, sa.select(Post.id).where(Post.topic_id == topic, Post.number == 2))
    assert mei_forum.post(f"/forums/p/{reply}/delete").status_code == 403
    leo_forum.post(f"/forums/p/{reply}/delete")
    page = mei_forum.page(f"/forums/t/{topic}")
    assert "Regrettable words" not in page and "deleted by its author" in page
    assert scalar(app, sa.select(Post.status).where(Post.id == reply)) == "deleted"
    assert scalar(app, sa.select(Topic.reply_count).where(Topic.id == topic)) == 0


def test_like_toggles_with_htmx_and_without_javascript(app, forum, make_user, make_circle):
    circle, _, (mei, leo), (mei_forum, leo_forum) = _circle_with(make_user, make_circle, forum, "Mei", "Leo")
    topic = mei_forum.start_topic(circle)
    post = scalar(app, sa.select(Post.id).where(Post.topic_id == topic))
    token = leo_forum.token()
    swapped = leo_forum.client.post(f"/forums/p/{post}/like", data={"like": "1"},
                                    headers={"HX-Request": "true", "X-CSRFToken": token})
    body = swapped.get_data(as_text=True)
    assert body.startswith(f'<div id="forums-like-{post}"') and 'aria-pressed="true"' in body and ">1</span>" in body
    assert 'name="like" value="0"' in body  # the button now takes the like back
    leo_forum.post(f"/forums/p/{post}/like", like="1")  # a double click changes nothing
    assert count(app, Like) == 1 and scalar(app, sa.select(Topic.like_count).where(Topic.id == topic)) == 1
    plain = leo_forum.post(f"/forums/p/{post}/like", like="0")
    assert plain.status_code == 302 and count(app, Like) == 0
    leo_forum.post(f"/forums/p/{post}/like", like="0")
    assert scalar(app, sa.select(Topic.like_count).where(Topic.id == topic)) == 0
    assert mei_forum.post(f"/forums/p/{post}/like", like="1").status_code == 403  # not one's own post
    assert count(app, ActivityEvent, ActivityEvent.name == "post.liked") == 1


def test_bad_input_is_refused_beside_the_field_and_nothing_is_saved(app, forum, make_user, make_circle):
    circle, _, (mei,), (mei_forum,) = _circle_with(make_user, make_circle, forum, "Mei")
    empty = mei_forum.post(f"/forums/c/{circle}/new", title="", body="", kind="discussion")
    assert empty.status_code == 422 and 'id="title-errors"' in empty.get_data(as_text=True)
    long = mei_forum.post(f"/forums/c/{circle}/new", title="x" * 201, body="y" * 20_001, kind="discussion")
    text = long.get_data(as_text=True)
    assert long.status_code == 422 and 'id="title-errors"' in text and 'id="body-errors"' in text
    poll = mei_forum.post(f"/forums/c/{circle}/new", title="Vote", body="b", kind="poll", poll_options="only one")
    assert poll.status_code == 422 and "Give 2 to 10 answers" in poll.get_data(as_text=True)
    assert count(app, Topic) == 0 and count(app, Post) == 0
    topic = mei_forum.start_topic(circle)
    assert mei_forum.reply(topic, body="   ").status_code == 422
    assert count(app, Post) == 1


def test_locked_topic_takes_no_replies(app, forum, make_user, make_circle):
    circle, chen, (mei,), (mei_forum,) = _circle_with(make_user, make_circle, forum, "Mei")
    topic = mei_forum.start_topic(circle)
    forum(chen).post(f"/forums/t/{topic}/moderate", action="lock")
    refused = mei_forum.reply(topic, body="Let me in")
    assert refused.status_code == 409 and "This topic is locked" in refused.get_data(as_text=True)
    assert count(app, Post) == 1


def test_posting_too_fast_is_refused_with_a_message(make_app, make_user, make_circle):
    from plugins.forums.tests.conftest import Forum

    app = make_app(forums_config(post_rate_limit="2/minute"))
    chen = make_user(role="creator")
    circle = make_circle(chen)
    chen_forum = Forum(app).login(chen)
    topic = chen_forum.start_topic(circle)
    assert chen_forum.reply(topic, body="one").status_code == 302
    third = chen_forum.reply(topic, body="two")
    assert third.status_code == 429 and "try again" in third.get_data(as_text=True).lower()
    assert count(app, Post) == 2


def test_markdown_with_script_handlers_and_htmx_attributes_renders_inert(forum, make_user, make_circle):
    circle, _, (mei, leo), (mei_forum, leo_forum) = _circle_with(make_user, make_circle, forum, "Mei", "Leo")
    body = ('<script>alert(1)</script> <img src=x onerror="alert(2)"> '
            '<a hx-post="/forums/c/1/leave" hx-trigger="load">x</a> [y](javascript:alert(3))')
    topic = mei_forum.start_topic(circle, title="Tricky", body=body)
    page = leo_forum.page(f"/forums/t/{topic}")
    post_html = page.split('id="post-1"')[1].split("</article>")[0]
    assert "<script" not in post_html and "<img" not in post_html and "<a hx-post" not in post_html
    assert 'href="javascript' not in post_html and '<div class="user-content" hx-disable>' in post_html


def test_double_submit_posts_once(app, forum, make_user, make_circle):
    circle, _, (mei,), (mei_forum,) = _circle_with(make_user, make_circle, forum, "Mei")
    first = mei_forum.start_topic(circle, title="Twice?", body="b")
    assert mei_forum.start_topic(circle, title="Twice?", body="b") == first
    mei_forum.reply(first, body="Same words")
    mei_forum.reply(first, body="Same words")
    assert count(app, Topic) == 1 and count(app, Post) == 2
    assert scalar(app, sa.select(Topic.post_count)) == 2
    mei_forum.reply(first, body="New words")
    assert count(app, Post) == 3
