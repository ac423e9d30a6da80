"""A circle as its members meet it: a feed of openings with avatars, roles, excerpts, pictures
and counts, the featured tab, the compact table, and covers uploaded by the circle's owner."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from PIL import Image

from plugins.forums.models import Circle
from plugins.forums.tests.conftest import scalar
from tests.test_avatar import picture

LONG = ("Prototypes answer questions before code does. " * 12).strip()


def test_the_feed_shows_who_wrote_what_with_an_excerpt_pictures_and_counts(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator", name="Teacher Chen"), make_user(name="Mei Lin")
    circle = make_circle(chen)
    forum(mei).join(circle)
    forum(chen).start_topic(circle, title="Welcome to the circle", body=LONG + "\n\n![sketch](https://example.org/sketch.png)")
    asked = forum(mei).start_topic(circle, title="How do I start?", body="Where should **a beginner** start?",
                                   kind="question", tags="start")
    forum(chen).reply(asked, body="Start small.")

    page = forum(mei).page(f"/forums/c/{circle}")
    welcome = page[page.index("Welcome to the circle") - 900:page.index("Welcome to the circle") + 1200]
    assert "Teacher Chen" in welcome and '<span class="forums-badge host">Host</span>' in welcome
    assert 'class="avatar avatar-medium avatar-hue-' in welcome and ">TC</span>" in welcome
    # A long opening is cut with "…" and a "more" link to the topic; its picture is shown.
    excerpt = re.search(r'<p class="forums-excerpt">(.*?)</p>', welcome, re.S).group(1)
    assert "…" in excerpt and len(excerpt) < len(LONG) and ">more</a>" in excerpt
    assert '<img src="https://example.org/sketch.png" alt="" loading="lazy">' in welcome
    question = page[page.index("How do I start?") - 900:]
    assert "Mei Lin" in question and "Where should a beginner start?" in question and "#start" in question
    assert "<strong>" not in re.search(r'<p class="forums-excerpt">(.*?)</p>', question, re.S).group(1)
    assert re.search(r"Replies:</span> 1</a>", question)

    # The compact view is still the table, and says which view it is.
    table = forum(mei).page(f"/forums/c/{circle}?view=table")
    assert '<table class="forums-topics">' in table and "Welcome to the circle" in table
    assert re.search(r'view=table"[^>]*aria-current="page">Compact', table)


def test_featured_tab_collects_featured_topics_and_says_what_it_is_for_when_empty(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen)
    forum(mei).join(circle)
    empty = forum(mei).page(f"/forums/c/{circle}?list=featured")
    assert "Nothing is featured yet." in empty and "Moderators feature the best topics" in empty
    moderator = forum(chen)
    topic = moderator.start_topic(circle, title="Best answer of the week")
    moved = moderator.post(f"/forums/t/{topic}/moderate", action="feature")
    assert moved.status_code == 302 and "The topic is featured." in moderator.page(moved.headers["Location"])
    featured = forum(mei).page(f"/forums/c/{circle}?list=featured")
    assert "Best answer of the week" in featured and "Nothing is featured yet." not in featured


def test_an_empty_circle_tells_a_member_to_start_the_first_topic(app, forum, make_user, make_circle):
    chen, mei = make_user(role="creator"), make_user()
    circle = make_circle(chen)
    assert "Log in and join the circle to start a topic." in forum().page(f"/forums/c/{circle}")
    forum(mei).join(circle)
    page = forum(mei).page(f"/forums/c/{circle}")
    assert "Start the first one: ask a question" in page and f'href="/forums/c/{circle}/new">New topic' in page


def test_owner_uploads_a_circle_cover_and_the_directory_shows_it_with_the_price(
        app, forum, make_user, make_circle, membership_product):
    chen = make_user(role="creator")
    paid = make_circle(chen, visibility="paid", product_id=membership_product(chen), name="Paid club")
    owner = forum(chen)
    form = owner.page(f"/forums/c/{paid}/edit")
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    response = owner.client.post(f"/forums/c/{paid}/edit", data={
        "csrf_token": owner.token(), "name": "Paid club", "description": "", "rules": "Be kind.",
        "visibility": "paid", "product_id": str(scalar(app, sa.select(Circle.product_id).where(Circle.id == paid))),
        "cover_file": (io.BytesIO(picture("PNG", (1600, 900))), "cover.png"),
    })
    assert response.status_code == 302
    assert "The circle is saved." in owner.page(response.headers["Location"])
    cover = scalar(app, sa.select(Circle.cover).where(Circle.id == paid))
    directory = forum().page("/forums/")
    assert f'src="/covers/{cover}"' in directory and "¥299.00 / year" in directory
    assert Image.open(io.BytesIO(forum().get(f"/covers/{cover}").data)).size == (1200, 675)
    # A circle without a cover gets its initials; counts of nothing are not shown.
    make_circle(chen, name="Quiet room")
    assert "<span>QR</span>" in forum().page("/forums/")
    assert "0 topics" not in forum().page("/forums/")
