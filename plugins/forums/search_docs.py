"""The forums' documents for a search index: topics (title and opening post) and replies."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import joinedload

from kpay.api import SearchDocument, db
from plugins.forums import access
from plugins.forums.models import Post, Topic

BATCH = 500


def documents(since=None) -> Iterator[SearchDocument]:
    """Every post changed after ``since`` (all without it) as a ``SearchDocument``.

    An opening post is a ``forums.topic`` document, a reply a ``forums.reply``; a post that is
    not visible, or whose topic is not, comes as ``gone`` with an empty body.
    """
    query = sa.select(Post).options(joinedload(Post.topic)).order_by(Post.id)
    if since is not None:
        changed = sa.select(Topic.id).where(Topic.updated_at > since)
        query = query.where(sa.or_(Post.updated_at > since, Post.topic_id.in_(changed)))
    last_id = 0
    while True:
        batch = db.session.scalars(query.where(Post.id > last_id).limit(BATCH)).unique().all()
        if not batch:
            return
        for post in batch:
            yield _document(post)
        last_id = batch[-1].id


def _document(post: Post) -> SearchDocument:
    topic = post.topic
    shown = post.status == "visible" and topic.status == "visible"
    kind = "forums.topic" if post.number == 1 else "forums.reply"
    doc_id = str(topic.id) if post.number == 1 else str(post.id)
    anchor = None if post.number == 1 else f"post-{post.number}"
    return SearchDocument(
        kind=kind, id=doc_id, title=topic.title if shown else "", body=post.body if shown else "",
        url=url_for("forums.topic", topic_id=topic.id, after=max(post.number - 1, 0) or None, _anchor=anchor),
        visibility=access.visibility_key(topic.circle) if shown else "gone",
        updated_at=max(post.updated_at, topic.updated_at),
        place=f"circle:{topic.circle_id}", place_title=topic.circle.name,
        author_id=post.author_id, author=post.author.display_name if post.author else "",
    )
