"""A page of a topic's posts as HTML, each post's article kept per process (``kpay.kept_html``)
for every reader of the same kind: visitors, members, the post's author, moderators."""

from __future__ import annotations

from typing import NamedTuple

from markupsafe import Markup

from kpay.api import CSRF_HOLE, kept_macro, with_csrf
from plugins.forums.lists import Reading


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
    kept = kept_macro("forums/_post.html", "post_article")
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
    return with_csrf("".join(parts))
