"""Saying hello: the greetings a member posts, a welcome per new member and one per hour."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.exc import IntegrityError

from kpay.api import SearchDocument, User, award, db, enqueue, utcnow
from kpay_hello.models import Greeting


def greeting() -> str:
    """The site's greeting word (setting ``[plugins.hello] greeting``)."""
    return current_app.config["KPAY"]["plugins"]["hello"]["greeting"]


def latest(limit: int = 20) -> list[Greeting]:
    """The newest greetings first."""
    return db.session.scalars(sa.select(Greeting).order_by(Greeting.id.desc()).limit(limit)).all()


def post(user: User, text: str) -> Greeting:
    """Add ``user``'s greeting and a point for it; the caller commits."""
    row = Greeting(user_id=user.id, text=text)
    db.session.add(row)
    db.session.flush()
    award(user, current_app.config["KPAY"]["plugins"]["hello"]["points"], "Said hello", key=f"hello:greeting:{row.id}")
    return row


def add_once(key: str, text: str, user_id: int | None = None) -> bool:
    """Add a greeting unless one with ``key`` exists; returns whether it was added."""
    try:
        with db.session.begin_nested():
            db.session.add(Greeting(key=key, text=text, user_id=user_id))
    except IntegrityError:
        return False
    return True


def export_greetings(user: User) -> dict | None:
    """The member's greetings for their data export, or None when they have posted none."""
    rows = db.session.scalars(
        sa.select(Greeting).where(Greeting.user_id == user.id).order_by(Greeting.id)
    ).all()
    if not rows:
        return None
    return {"greetings": [{"text": row.text, "created_at": row.created_at} for row in rows]}


def erase_greetings(user: User) -> None:
    """Delete the member's greetings (their points stay in the ledger); the caller commits."""
    db.session.execute(sa.delete(Greeting).where(Greeting.user_id == user.id))


def welcome(user_id: int) -> None:
    """Greet a new member, in the background (the ``user.signed_up`` event)."""
    enqueue(welcome_job, user_id, key=f"hello:welcome:{user_id}")
    db.session.commit()


def welcome_job(user_id: int) -> None:
    """Add the welcome greeting for member ``user_id`` (once)."""
    user = db.session.get(User, user_id)
    if user is not None:
        add_once(f"welcome:{user_id}", f"{greeting()}, {user.display_name}!", user_id)


def greet_the_day() -> None:
    """The hourly sweep: one greeting per hour, however many clocks run it."""
    now = utcnow()
    add_once(f"hour:{now:%Y-%m-%dT%H}", f"{greeting()} at {now:%H}:00 UTC")


def add_demo_greetings() -> None:
    """Demo greetings in English and Simplified Chinese."""
    add_once("demo:en", "Hello, everyone! Glad to be here.")
    add_once("demo:zh", "大家好！很高兴认识大家。")


def search_documents(since=None) -> Iterator[SearchDocument]:
    """Greetings posted after ``since`` (all of them when None) for the site's search.

    Greetings are public and never edited, so each is a ``public`` document; a plugin whose
    rows can be hidden or deleted returns those as ``visibility="gone"`` so the index drops them,
    and names paid ones by their ``Resource.key`` (``"course:7"``) so only buyers find their words.
    """
    query = sa.select(Greeting).order_by(Greeting.id)
    if since is not None:
        query = query.where(Greeting.created_at > since)
    page = url_for("hello.index")
    for row in db.session.scalars(query):
        yield SearchDocument(kind="hello.greeting", id=str(row.id), title=row.text[:60], body=row.text, url=page,
                             visibility="public", updated_at=row.created_at, author_id=row.user_id)
