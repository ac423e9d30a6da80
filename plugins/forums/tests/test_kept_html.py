"""The topic page keeps each post's header and text rendered per process (kpay.kept_html): what
a reader sees must stay theirs, and a change must show at once in every worker."""

from __future__ import annotations

import re
from datetime import datetime, UTC

import sqlalchemy as sa

from plugins.forums.models import Post, Topic
from kpay.api import KeptHtml, db
from plugins.forums.tests.conftest import Forum, forums_config, scalar

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def reply_id(app, body: str) -> int:
    return scalar(app, sa.select(Post.id).where(Post.body == body))


def post_html(page: str, number: int) -> str:
    """The article of post ``number`` on a topic page."""
    return re.search(rf'<article class="forums-post[^"]*" id="post-{number}">.*?</article>', page, re.S).group(0)


def test_an_edit_shows_at_once_in_another_worker(app, make_app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen)
    forum(mei).join(circle)
    topic = forum(chen).start_topic(circle)
    forum(mei).reply(topic, body="First words")
    other_worker = make_app(forums_config())
    reader = Forum(other_worker).login(chen)
    assert "First words" in reader.page(f"/forums/t/{topic}")
    post = reply_id(app, "First words")
    assert forum(mei).post(f"/forums/p/{post}/edit", body="Second thoughts").status_code == 302
    page = reader.page(f"/forums/t/{topic}")
    assert "Second thoughts" in page and "First words" not in page and "edited" in post_html(page, 2)


def test_a_hidden_post_disappears_for_members_but_not_for_its_moderator(app, forum, make_user, make_circle):
    chen, mei, leo = make_user(role="creator"), make_user(), make_user()
    circle = make_circle(chen)
    for person in (mei, leo):
        forum(person).join(circle)
    topic = forum(chen).start_topic(circle)
    forum(mei).reply(topic, body="Buy cheap watches")
    leo_forum = forum(leo)
    assert "Buy cheap watches" in leo_forum.page(f"/forums/t/{topic}")
    forum(chen).post(f"/forums/p/{reply_id(app, 'Buy cheap watches')}/moderate", action="hide")
    hidden = post_html(leo_forum.page(f"/forums/t/{topic}"), 2)
    assert "Buy cheap watches" not in hidden and "This post is hidden." in hidden
    for allowed in (chen, mei):  # the moderator, and the author, still read it
        assert "Buy cheap watches" in post_html(forum(allowed).page(f"/forums/t/{topic}"), 2)
    assert "Buy cheap watches" not in leo_forum.page(f"/forums/t/{topic}")


def test_each_reader_sees_only_their_own_like_and_edit_buttons(app, forum, make_user, make_circle):
    chen, mei, leo = make_user(role="creator"), make_user(), make_user()
    circle = make_circle(chen)
    for person in (mei, leo):
        forum(person).join(circle)
    topic = forum(chen).start_topic(circle)
    mei_forum, leo_forum = forum(mei), forum(leo)
    mei_forum.reply(topic, body="Mei's reply <kpay-csrf-token>")  # the stand-in for each reader's token
    post = reply_id(app, "Mei's reply <kpay-csrf-token>")
    leo_forum.post(f"/forums/p/{post}/like", like="1")
    as_mei = post_html(mei_forum.page(f"/forums/t/{topic}"), 2)
    assert f"/forums/p/{post}/edit" in as_mei and f"/forums/p/{post}/delete" in as_mei
    assert f'action="/forums/p/{post}/like"' not in as_mei and "/flag" not in as_mei
    as_leo = post_html(leo_forum.page(f"/forums/t/{topic}"), 2)
    assert f"/forums/p/{post}/edit" not in as_leo and f"/forums/p/{post}/delete" not in as_leo
    assert 'aria-pressed="true"' in as_leo and f"/forums/p/{post}/flag" in as_leo
    token = re.search(r'name="csrf_token" value="([^"]+)"', as_leo).group(1)
    text = as_leo.split("</header>")[1].split("<footer")[0]
    assert "Mei's reply &lt;kpay-csrf-token&gt;" in text and token not in text and "kpay-csrf-token" not in as_leo.split("<footer")[1]
    as_visitor = post_html(forum().page(f"/forums/t/{topic}"), 2)
    assert "aria-pressed" not in as_visitor and "/edit" not in as_visitor and "/flag" not in as_visitor
    assert '<span class="forums-like-count">1</span>' in as_visitor


def test_a_chinese_reader_gets_chinese_words_after_an_english_one(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen)
    forum(mei).join(circle)
    topic = forum(chen).start_topic(circle)
    forum(chen).reply(topic, body="From the host")  # the circle's host answers as an expert
    english = post_html(forum(mei).page(f"/forums/t/{topic}"), 2)
    assert ">Expert<" in english and ">Edit<" not in english
    chinese = post_html(forum(mei).get(f"/forums/t/{topic}", headers=CHINESE).get_data(as_text=True), 2)
    assert ">专家<" in chinese and ">Expert<" not in chinese and "赞" in chinese
    assert ">Expert<" in post_html(forum(mei).page(f"/forums/t/{topic}"), 2)


def test_kept_html_stays_within_its_budget():
    kept = KeptHtml(budget=10_000)
    for n in range(200):
        assert kept.get((n,), 40, lambda n=n: f"<p>{n:056d}</p>") == f"<p>{n:056d}</p>"
    assert kept.size <= 10_000 and len(kept.made) == 10_000 // 103
    assert (199,) in kept.made and (0,) not in kept.made


def feed_item(page: str, title: str) -> str:
    """The feed's item of the topic titled ``title``."""
    return next(item for item in page.split('<article class="card forums-feed-item')[1:] if title in item)


def test_the_feed_shows_each_reader_their_own_read_marker_and_new_replies_at_once(app, forum, make_user, make_circle):
    chen, mei, leo = make_user(role="creator"), make_user(), make_user()
    circle = make_circle(chen)
    for person in (mei, leo):
        forum(person).join(circle)
    topic = forum(chen).start_topic(circle, title="Kept topic")
    mei_forum, leo_forum = forum(mei), forum(leo)
    mei_forum.reply(topic, body="One more")
    mei_forum.post(f"/forums/t/{topic}/read", number="2")
    as_mei = feed_item(mei_forum.page(f"/forums/c/{circle}"), "Kept topic")
    assert f'href="/forums/t/{topic}?after=2"' in as_mei and ">new<" not in as_mei
    as_leo = feed_item(leo_forum.page(f"/forums/c/{circle}"), "Kept topic")
    assert ">new<" in as_leo and "?after=" not in as_leo
    assert ">new<" not in feed_item(forum().page(f"/forums/c/{circle}"), "Kept topic")  # a visitor
    leo_forum.reply(topic, body="And another")
    as_mei = feed_item(mei_forum.page(f"/forums/c/{circle}"), "Kept topic")
    assert '<span class="forums-unread" title="Unread posts">1</span>' in as_mei
    chinese = feed_item(leo_forum.get(f"/forums/c/{circle}", headers=CHINESE).get_data(as_text=True), "Kept topic")
    assert ">Host<" in as_mei and ">圈主<" in chinese and ">Host<" not in chinese


def test_post_and_feed_times_show_in_each_readers_time_zone(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen)
    forum(mei).join(circle)
    topic = forum(chen).start_topic(circle, title="Zone topic")
    written = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March 07:30 in Shanghai
    with app.app_context():
        db.session.execute(sa.update(Post).where(Post.topic_id == topic).values(created_at=written))
        db.session.execute(sa.update(Topic).where(Topic.id == topic).values(created_at=written))
        db.session.commit()
    for zone in ("UTC", "Asia/Shanghai", "UTC"):  # the kept article must not leak one reader's zone to the next
        reader = forum(mei)
        reader.client.set_cookie("kpay_tz", zone)
        article, feed = post_html(reader.page(f"/forums/t/{topic}"), 1), reader.page(f"/forums/c/{circle}")
        expected = "2026-03-02 07:30" if zone == "Asia/Shanghai" else "2026-03-01 23:30"
        assert f">{expected}</time>" in article and f">{expected}</time>" in feed
