"""The forums' benchmark pages: data for them, a hand-written reference, and query counts.

``add_data(folder)`` gives the bench site's free demo circle 2,000 more topics and one topic of
5,000 replies (bulk inserts, seconds). ``reference`` is the same two pages hand-written with plain
Flask + SQLAlchemy Core on the same database: 30 replies of the long topic with their authors,
and the circle's first 30 topics; both render member text through ``kpay.text.render_markdown``
(cached per process by text), as any page showing member markdown must. ``query_counts`` opens
each page in-process, as the demo member, and counts its SQL statements: on the demo data, and
again once the data is added.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, render_template_string

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
    reference = reference_app(folder).test_client()
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


TOPIC_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ topic.title }}</title>
<link rel="stylesheet" href="/static/css/kpay.css"></head><body><main>
<h1>{{ topic.title }}</h1>
{% for p in posts %}<article id="post-{{ p.number }}"><header><strong>{{ p.display_name }}</strong> #{{ p.number }}
<time>{{ p.created_at }}</time> ♡ {{ p.like_count }}</header>{{ p.body|markdown }}</article>
{% endfor %}<a href="?after={{ posts[-1].number if posts else 0 }}">Next posts</a></main></body></html>"""

CIRCLE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{{ circle.name }}</title>
<link rel="stylesheet" href="/static/css/kpay.css"></head><body><main>
<h1>{{ circle.name }}</h1><ul>
{% for t in topics %}<li><a href="/t/{{ t.id }}">{{ t.title }}</a> {{ t.display_name }} · {{ t.reply_count }} replies ·
{{ t.like_count }} likes · <time>{{ t.bumped_at }}</time></li>
{% endfor %}</ul><a href="?cursor=next">More topics</a></main></body></html>"""

reference_engine = None


def reference_app(folder: Path | None = None) -> Flask:
    """The hand-written pages: one query each for the rows, one template each."""
    global reference_engine
    from kpay.text import render_markdown

    folder = folder or Path(os.environ["KPAY_INSTANCE_PATH"])
    reference_engine = sa.create_engine(f"sqlite:///{folder / 'kpay.db'}")
    meta = sa.MetaData()
    posts, topics, users, circles = (sa.Table(name, meta, autoload_with=reference_engine)
                                     for name in ("forums_posts", "forums_topics", "users", "forums_circles"))
    app = Flask(__name__, static_folder=str(Path(__file__).resolve().parent.parent / "static"))
    app.jinja_env.filters["markdown"] = render_markdown

    @app.route("/t/<int:topic_id>")
    def topic(topic_id: int):
        from flask import request

        after = request.args.get("after", 0, type=int)
        with reference_engine.connect() as connection:
            found = connection.execute(sa.select(topics).where(topics.c.id == topic_id)).one()
            rows = connection.execute(
                sa.select(posts, users.c.display_name).join(users, users.c.id == posts.c.author_id)
                .where(posts.c.topic_id == topic_id, posts.c.number > after).order_by(posts.c.number).limit(30)
            ).all()
        return render_template_string(TOPIC_PAGE, topic=found, posts=rows)

    @app.route("/c/<int:circle_id>")
    def circle(circle_id: int):
        from flask import request

        with reference_engine.connect() as connection:
            found = connection.execute(sa.select(circles).where(circles.c.id == circle_id)).one()
            query = (sa.select(topics, users.c.display_name).join(users, users.c.id == topics.c.author_id)
                     .where(topics.c.circle_id == circle_id, topics.c.status == "visible"))
            if request.args.get("featured"):
                query = query.where(topics.c.featured_at.is_not(None))
            rows = connection.execute(query.order_by(topics.c.bumped_at.desc(), topics.c.id.desc()).limit(30)).all()
        return render_template_string(CIRCLE_PAGE, circle=found, topics=rows)

    return app


def __getattr__(name: str):
    if name == "reference":  # gunicorn bench.forums:reference, with KPAY_INSTANCE_PATH set
        return reference_app()
    raise AttributeError(name)
