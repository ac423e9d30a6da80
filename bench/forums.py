"""The forums' benchmark pages: data for them, a hand-written reference, and query counts.

``add_data(folder)`` gives the bench site's free demo circle 2,000 more topics and one topic of
5,000 replies (bulk inserts, seconds). ``reference`` is the same two pages hand-written with plain
Flask + SQLAlchemy Core on the same database (SQLite or PostgreSQL), templates compiled once:
30 replies of the long topic with their authors, and the circle's first 30 topics, in a layout
and per-row markup of about KPay's size; both render member text through
``kpay.text.render_markdown`` (cached per process by text), as any page showing member
markdown must. ``query_counts`` opens
each page in-process, as the demo member, and counts its SQL statements: on the demo data, and
again once the data is added.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

REPLIES = 5_000
TOPICS = 2_000
AFTER = 2_500  # the page of the long topic that is measured: posts 2,501-2,530


def _settings(folder: Path) -> dict:
    return {"instance_path": str(folder), "database_url": f"sqlite:///{folder / 'kpay.db'}", "redis_url": ""}


def add_data(folder: Path) -> dict:
    """Fill the demo's free circle; returns the ids the pages use."""
    from kpay.app import create_app
    from kpay.extensions import db
    from kpay.models import User
    from kpay.models.base import utcnow
    from plugins.forums.models import Circle, Post, Topic

    app = create_app(_settings(folder))
    with app.app_context():
        circle = db.session.scalar(sa.select(Circle).where(Circle.visibility == "public").order_by(Circle.id))
        authors = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
        start = utcnow() - timedelta(days=30)
        topics = [{"circle_id": circle.id, "author_id": authors[n % len(authors)], "title": f"Bench topic {n} · 测试话题 {n}",
                   "kind": "discussion", "tags": "", "status": "visible", "pinned": False, "locked": False, "post_count": 1,
                   "reply_count": 0, "like_count": n % 11, "bumped_at": start + timedelta(minutes=n), "created_at": start,
                   "updated_at": start} for n in range(TOPICS)]
        db.session.execute(sa.insert(Topic), topics)
        long = Topic(circle_id=circle.id, author_id=authors[0], title="A very long thread · 超长讨论", post_count=REPLIES + 1,
                     reply_count=REPLIES, bumped_at=utcnow(), created_at=start)
        db.session.add(long)
        db.session.flush()
        first_ids = db.session.scalars(sa.select(Topic.id).where(Topic.title.like("Bench topic %"))).all()
        posts = [{"topic_id": t, "circle_id": circle.id, "number": 1, "author_id": authors[0], "body": "Opening post",
                  "status": "visible", "created_at": start, "updated_at": start} for t in first_ids]
        posts += [{"topic_id": long.id, "circle_id": circle.id, "number": n, "author_id": authors[n % len(authors)],
                   "body": f"Reply **{n}**: a few words about prototypes, 关于原型的几句话。\n\n- one\n- two",
                   "status": "visible", "created_at": start + timedelta(seconds=n), "updated_at": start}
                  for n in range(1, REPLIES + 2)]
        db.session.execute(sa.insert(Post), posts)
        circle.topic_count += TOPICS + 1
        db.session.commit()
        return {"circle_id": circle.id, "topic_id": long.id}


def query_counts(folder: Path, member: tuple[str, str], ids: dict | None = None) -> dict[str, int]:
    """SQL statements per page as the demo member sees it (a second view: the read marker has
    moved already). Without ``ids``, on the demo's 3-post topic and 3-topic circle; with them,
    on the 5,000-reply topic and the circle of 2,000 topics."""
    from kpay.app import create_app
    from kpay.extensions import db
    from plugins.forums.models import Circle, Topic
    from tests.conftest import csrf_token

    app = create_app(_settings(folder))
    app.config["RATELIMIT_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"email": member[0], "password": member[1], "csrf_token": csrf_token(client.get("/login"))})
    with app.app_context():
        if ids is None:
            circle_id = db.session.scalar(sa.select(Circle.id).where(Circle.visibility == "public").order_by(Circle.id))
            topic_id = db.session.scalar(sa.select(Topic.id).where(Topic.circle_id == circle_id).order_by(Topic.id))
            ids, after = {"circle_id": circle_id, "topic_id": topic_id}, 0
        else:
            after = AFTER
        engine = db.engine
    reference = reference_app(_settings(folder)["database_url"]).test_client()
    pages = {
        "forums topic page": (f"/forums/t/{ids['topic_id']}?after={after}", client, engine),
        "forums circle list": (f"/forums/c/{ids['circle_id']}", client, engine),
        "reference topic page": (f"/t/{ids['topic_id']}?after={after}", reference, reference_engine),
        "reference circle list": (f"/c/{ids['circle_id']}", reference, reference_engine),
    }
    counts = {}
    for name, (url, who, target) in pages.items():
        assert who.get(url).status_code == 200, url
        statements = []
        listener = lambda *args, counted=statements: counted.append(1)  # noqa: E731
        sa.event.listen(target, "before_cursor_execute", listener)
        who.get(url)
        sa.event.remove(target, "before_cursor_execute", listener)
        counts[name] = len(statements)
    return counts


LAYOUT_HEAD = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="csrf-token" content="{{ token }}">
<title>{{ title }} · KPay Community</title><link rel="stylesheet" href="/static/css/kpay.css">
<script src="/static/vendor/htmx-2.0.11.min.js" defer></script><script src="/static/js/kpay.js" defer></script></head>
<body hx-boost="true"><a class="skip-link" href="#main">Skip to content</a><header class="site-header"><div class="bar">
<a class="brand" href="/">KPay Community</a><nav class="site-nav" aria-label="Main"><ul><li><a href="/">Home</a></li>
<li><a href="/forums/">Circles</a></li><li><a href="/courses/">Courses</a></li><li><a href="/shop/">Shop</a></li>
<li><a href="/studio/">Studio</a></li></ul></nav><div class="account"><a href="/notifications" class="bell">Notifications
<span class="count">3</span></a><a class="who" href="/me">{{ me }}</a><form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="{{ token }}"><button type="submit" class="link">Log out</button></form></div>
</div></header><main id="main">"""
LAYOUT_FOOT = """</main><footer class="site-footer"><p>KPay Community · <a href="/privacy">Privacy</a>
· <a href="/terms">Terms</a></p></footer></body></html>"""

# The same rows as KPay's pages, with the markup a reader gets: author, number, time, body,
# a like button (a form) and the reply, quote and flag links per post; title, author, counts
# and time per topic.
TOPIC_PAGE = LAYOUT_HEAD + """<nav class="crumbs"><a href="/forums/">Circles</a> ›
<a href="/forums/c/{{ topic.circle_id }}">{{ circle_name }}</a></nav>
<h1>{{ topic.title }}</h1><p class="muted">{{ topic.reply_count }} replies · {{ topic.like_count }} likes</p>
{% for p in posts %}<article class="forums-post" id="post-{{ p.number }}"><header class="forums-post-head">
<span class="avatar small" aria-hidden="true">{{ p.display_name[:1] }}</span> <strong>{{ p.display_name }}</strong>
<a class="muted" href="#post-{{ p.number }}">#{{ p.number }}</a>
<time class="muted" datetime="{{ p.created_at.isoformat() }}">{{ p.created_at.strftime("%Y-%m-%d %H:%M") }}</time></header>
{{ p.body|markdown }}<footer class="forums-post-actions"><form method="post" action="/forums/p/{{ p.id }}/like" class="forums-inline"
hx-post="/forums/p/{{ p.id }}/like" hx-swap="outerHTML"><input type="hidden" name="csrf_token" value="{{ token }}">
<button type="submit" class="link" aria-pressed="false">♡ Like <span class="count">{{ p.like_count }}</span></button></form>
<a href="/forums/t/{{ topic.id }}/reply?quote={{ p.id }}">Quote</a> <a href="/forums/p/{{ p.id }}/flag">Flag</a></footer></article>
{% endfor %}<nav class="pager"><a href="?after={{ posts[-1].number if posts else 0 }}" rel="next">Next posts</a></nav>
<p><a class="button" href="/forums/t/{{ topic.id }}/reply">Reply</a></p>""" + LAYOUT_FOOT

CIRCLE_PAGE = LAYOUT_HEAD + """<h1>{{ circle.name }}</h1><p class="muted">{{ circle.member_count }} members · {{ circle.topic_count }} topics</p>
<nav class="tabs"><a href="?list=latest" aria-current="page">Latest</a> <a href="?list=top">Top</a>
<a href="?list=unanswered">Unanswered</a> <a href="?list=featured">Featured</a></nav><ul class="forums-topics">
{% for t in topics %}<li class="forums-topic"><span class="avatar small" aria-hidden="true">{{ t.display_name[:1] }}</span>
<div><a class="title" href="/forums/t/{{ t.id }}">{{ t.title }}</a><p class="muted"><span>{{ t.display_name }}</span> ·
<span>{{ t.reply_count }} replies</span> · <span>{{ t.like_count }} likes</span> ·
<time datetime="{{ t.bumped_at.isoformat() }}">{{ t.bumped_at.strftime("%Y-%m-%d %H:%M") }}</time></p></div></li>
{% endfor %}</ul><nav class="pager"><a href="?cursor=next" rel="next">More topics</a></nav>""" + LAYOUT_FOOT

reference_engine = None


def reference_app(database_url: str | None = None) -> Flask:
    """The hand-written pages: one query each for the rows, one template each, compiled once
    when the app is made (as any real app's templates are after their first use)."""
    global reference_engine
    from flask import request

    from kpay.text import render_markdown

    if database_url is None:
        database_url = os.environ.get("KPAY_DATABASE_URL") or f"sqlite:///{Path(os.environ['KPAY_INSTANCE_PATH']) / 'kpay.db'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    reference_engine = sa.create_engine(database_url)
    meta = sa.MetaData()
    posts, topics, users, circles = (sa.Table(name, meta, autoload_with=reference_engine)
                                     for name in ("forums_posts", "forums_topics", "users", "forums_circles"))
    app = Flask(__name__, static_folder=str(Path(__file__).resolve().parent.parent / "static"))
    app.jinja_env.filters["markdown"] = render_markdown
    topic_page, circle_page = (app.jinja_env.from_string(source) for source in (TOPIC_PAGE, CIRCLE_PAGE))
    page = {"token": "x" * 56, "me": "Mei 小美"}

    @app.route("/t/<int:topic_id>")
    def topic(topic_id: int):
        after = request.args.get("after", 0, type=int)
        with reference_engine.connect() as connection:
            found = connection.execute(
                sa.select(topics, circles.c.name.label("circle_name")).join(circles, circles.c.id == topics.c.circle_id)
                .where(topics.c.id == topic_id)
            ).one()
            rows = connection.execute(
                sa.select(posts, users.c.display_name).join(users, users.c.id == posts.c.author_id)
                .where(posts.c.topic_id == topic_id, posts.c.number > after).order_by(posts.c.number).limit(30)
            ).all()
        return topic_page.render(topic=found, circle_name=found.circle_name, posts=rows, title=found.title, **page)

    @app.route("/c/<int:circle_id>")
    def circle(circle_id: int):
        with reference_engine.connect() as connection:
            found = connection.execute(sa.select(circles).where(circles.c.id == circle_id)).one()
            query = (sa.select(topics, users.c.display_name).join(users, users.c.id == topics.c.author_id)
                     .where(topics.c.circle_id == circle_id, topics.c.status == "visible"))
            if request.args.get("featured"):
                query = query.where(topics.c.featured_at.is_not(None))
            rows = connection.execute(query.order_by(topics.c.bumped_at.desc(), topics.c.id.desc()).limit(30)).all()
        return circle_page.render(circle=found, topics=rows, title=found.name, **page)

    return app


def __getattr__(name: str):
    if name == "reference":  # gunicorn bench.forums:reference, with KPAY_DATABASE_URL or KPAY_INSTANCE_PATH set
        return reference_app()
    raise AttributeError(name)
