"""A page of a topic's posts as HTML, each post's article kept per process (``kept_html.py``)
for every reader of the same kind: visitors, members, the post's author, moderators."""

from __future__ import annotations

from typing import NamedTuple

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from plugins.forums import kept_html
from plugins.forums.lists import Reading

# Stands for the reader's CSRF token in kept articles, replaced once per page; no member's text
# can hold it, as the sanitizer drops unknown tags and escapes every "<" it keeps as text.
CSRF_HOLE = Markup("<kpay-csrf-token>")


class PostPage(NamedTuple):
    """What a post's article shows of its topic and reader, besides the post."""

    topic_id: int
    locked: bool
    question: bool
    accepted_post_id: int | None
    topic_author: bool  # the reader started the topic
    moderator: bool
    can_post: bool
    signed_in: bool


def posts_html(found: Reading, user, moderator: bool, can_post: bool) -> Markup:
    """The articles of ``found``'s page of posts as ``user`` reads them (``_post.html``)."""
    kept = kept_html.for_request("forums/_post.html", "post_article")
    uid = user.id if user.is_authenticated else None
    topic = found.topic
    page = PostPage(topic.id, topic.locked, topic.kind == "question", topic.accepted_post_id,
                    uid is not None and topic.author_id == uid, bool(moderator), bool(can_post), uid is not None)
    parts = []
    for post in found.page.rows:
        mine = uid is not None and post.author_id == uid
        readable = post.status == "visible" or (post.status != "deleted" and (moderator or mine))
        expert = post.author_id in found.experts and post.number > 1
        parts.append(kept(post.author, len(post.body), post, page, readable, mine, post.id in found.liked, expert,
                          CSRF_HOLE))
    return Markup("".join(parts).replace(CSRF_HOLE, escape(generate_csrf())))
