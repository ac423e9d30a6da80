"""Reading at scale: keyset pages through topic lists and a long topic, unread markers per
member, and query counts that stay the same however much there is to read."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from kpay.extensions import db
from kpay.models.base import utcnow
from plugins.forums.models import Post, ReadMarker, Topic
from plugins.forums.tests.conftest import count, scalar


def fill(app, circle_id: int, author_id: int, topics: int = 0, replies_to: int | None = None, replies: int = 0) -> None:
    """Add ``topics`` topics to the circle, or ``replies`` replies to topic ``replies_to``, directly."""
    with app.app_context():
        start = utcnow() - timedelta(days=1)
        for n in range(topics):
            topic = Topic(circle_id=circle_id, author_id=author_id, title=f"Topic {n:04d}", post_count=1,
                          bumped_at=start + timedelta(seconds=n), created_at=start, like_count=n % 7)
            db.session.add(topic)
            db.session.flush()
            db.session.add(Post(topic_id=topic.id, circle_id=circle_id, number=1, author_id=author_id, body=f"Body {n}"))
        if replies_to is not None:
            first = db.session.scalar(sa.select(Topic.post_count).where(Topic.id == replies_to))
            db.session.add_all(Post(topic_id=replies_to, circle_id=circle_id, number=first + n + 1, author_id=author_id,
                                    body=f"Reply number {first + n + 1}") for n in range(replies))
            db.session.execute(sa.update(Topic).where(Topic.id == replies_to).values(
                post_count=Topic.post_count + replies, reply_count=Topic.reply_count + replies))
        db.session.commit()


def test_latest_list_pages_by_keyset_with_more_links(app, forum, make_user, make_circle):
    chen = make_user(role="creator")
    circle = make_circle(chen)
    fill(app, circle, chen.id, topics=65)
    visitor = forum()
    seen, url = [], f"/forums/c/{circle}"
    while url:
        page = visitor.page(url)
        seen += re.findall(r"Topic (\d{4})", page)
        more = re.search(r'<a href="([^"]+cursor=[^"]+)">More topics', page)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == [f"{n:04d}" for n in range(64, -1, -1)]
    partial = visitor.get(f"/forums/c/{circle}?cursor=bad", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.lstrip().startswith('<article class="card forums-feed-item') and 'hx-trigger="revealed"' in partial
    table = visitor.get(f"/forums/c/{circle}?cursor=bad&view=table", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert table.lstrip().startswith('<tr class="forums-topic') and "view=table" in table


def test_top_list_orders_by_likes(app, forum, make_user, make_circle):
    chen = make_user(role="creator")
    circle = make_circle(chen)
    fill(app, circle, chen.id, topics=10)
    page = forum().page(f"/forums/c/{circle}?list=top&period=week")
    assert page.index("Topic 0006") < page.index("Topic 0005") < page.index("Topic 0000")


def test_long_topic_pages_through_replies_and_marks_them_read(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen)
    reader = forum(mei)
    reader.join(circle)
    topic = forum(chen).start_topic(circle, title="Long one")
    fill(app, circle, chen.id, replies_to=topic, replies=70)
    first = reader.page(f"/forums/t/{topic}")
    assert 'id="post-30"' in first and 'id="post-31"' not in first and "Post reply" not in first
    assert f'href="/forums/t/{topic}?after=30"' in first
    assert 'hx-trigger="revealed, submit"' in first and 'name="number" value="30"' in first
    assert count(app, ReadMarker) == 0  # opening a page writes nothing (S4)
    rest = reader.get(f"/forums/t/{topic}?after=30", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert rest.startswith('<article class="forums-post') and 'id="post-60"' in rest and 'after=60' in rest
    token = reader.token()
    seen = reader.client.post(f"/forums/t/{topic}/read", data={"number": "60"}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert seen.status_code == 204
    assert scalar(app, sa.select(ReadMarker.last_number).where(ReadMarker.user_id == mei.id)) == 60
    listing = reader.page(f"/forums/c/{circle}")
    assert '<span class="forums-unread" title="Unread posts">11</span>' in listing
    assert f'href="/forums/t/{topic}?after=60"' in listing
    back = reader.post(f"/forums/t/{topic}/read", number="30")  # the plain button; never moves back
    assert back.status_code == 302 and back.headers["Location"].endswith("#post-30")
    assert scalar(app, sa.select(ReadMarker.last_number).where(ReadMarker.user_id == mei.id)) == 60
    reader.post(f"/forums/t/{topic}/read", number="9999")  # never past the end
    assert scalar(app, sa.select(ReadMarker.last_number).where(ReadMarker.user_id == mei.id)) == 71
    assert 'name="number"' not in reader.page(f"/forums/t/{topic}?after=60")


@pytest.fixture
def queries(app):
    """Count the SQL statements run while the block runs: ``with queries() as n: ...; n[0]``."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        found = [0]
        with app.app_context():
            engine = db.engine

        def count(*args):
            found[0] += 1

        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            yield found
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)

    return counter


def test_query_counts_do_not_grow_with_the_data(app, forum, make_user, make_circle, queries):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen)
    reader = forum(mei)
    reader.join(circle)
    topic = forum(chen).start_topic(circle, title="Counted")
    fill(app, circle, chen.id, topics=5, replies_to=topic, replies=40)
    reader.page(f"/forums/t/{topic}")
    counts = {}
    for size in ("small", "large"):
        with queries() as topic_page:
            reader.page(f"/forums/t/{topic}?after=5")
        with queries() as list_page:
            reader.page(f"/forums/c/{circle}")
        with queries() as table:
            reader.page(f"/forums/c/{circle}?view=table")
        with queries() as directory:
            reader.page("/forums/")
        counts[size] = (topic_page[0], list_page[0], table[0], directory[0])
        fill(app, circle, chen.id, topics=80, replies_to=topic, replies=400)
        make_circle(chen)
    assert counts["small"] == counts["large"], counts
    assert counts["small"][1] == counts["small"][2], "the feed costs the statements the table costs"
