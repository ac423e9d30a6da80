"""The refresh job: fit the models on what the plugins give now and rewrite the public cards, the
visitors' list and the lists beside each item; then the lists and taken sets of the members who
changed since the last run (a high-water mark), in batches, or of every member on a full
refresh. One transaction, so a page reads a finished set of rows. Safe to run twice."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from kpay.api import ActivityEvent, db, enqueue, long_running, utcnow
from plugins.recommendations.catalogue import gather
from plugins.recommendations.models import Card, Dismissal, Entry, Mark, Reset, Taken
from plugins.recommendations.rankers import Pick, Recommender, Tuning
from plugins.recommendations.types import Signal

EVERYONE = "everyone"


def member_owner(user_id: int, kinds: str = "") -> str:
    """The ``owner`` of a member's list (``kinds`` = ``"course"`` for My learning's)."""
    return f"member:{user_id}" + (f":{kinds}" if kinds else "")


def settings() -> dict:
    return current_app.config["KPAY"]["plugins"]["recommendations"]


def tuning() -> Tuning:
    s = settings()
    return Tuning(half_life_days=s["half_life_days"], min_pair_members=s["min_pair_members"],
                  weights=(s["weight_also"], s["weight_content"], s["weight_popular"]))


def schedule_refresh() -> None:
    """The clock's sweep: hand the refresh to a worker, once per period."""
    enqueue(refresh, key=f"recommendations.refresh:{utcnow():%Y%m%d%H%M}")


BATCH = 500  # members whose lists are computed and written at a time


@long_running(timedelta(minutes=30))
def refresh(full: bool = False) -> dict:
    """Rewrite the cards, the visitors' list and the lists beside each item, then the lists of
    the members who changed since the last run (new signals, "not interested" choices, a
    "forget", new interests, new members), or of every member when ``full`` or on the first
    run. Returns how many members, items and rows it wrote."""
    now = utcnow()
    data = gather()
    model = Recommender(data.items, data.signals, data.interests, now, tuning(), data.dismissed, data.forget)
    length = settings()["list_length"]
    items = model.items
    mark = db.session.get(Mark, "refresh")
    full = full or mark is None
    members = set(model.history) | set(data.interests) | set(model.forgotten)
    if not full:
        members = changed(data.signals, members, mark.at)

    def rows(owner: str, picks: list[Pick]) -> list[dict]:
        out = []
        for position, pick in enumerate(picks):
            because = pick.because
            if pick.reason in ("also", "similar") and because in items:
                because = items[because].title
            out.append({"owner": owner, "position": position, "key": pick.key, "score": round(pick.score, 6),
                        "reason": pick.reason, "because": because[:240], "action": pick.action})
        return out

    public = [key for key in model.popular_ranked if items[key].audience == "public"]
    shared = rows(EVERYONE, [Pick(k, model.popular_score[k], "popular") for k in public[:length]])
    for key in sorted(items):
        shared += rows(key, model.related(key, length))
    cards = [{
        "key": item.key, "kind": item.kind, "title": item.title[:240], "url": item.url, "summary": item.summary[:300],
        "price_minor": item.price_minor, "currency": item.currency, "audience": item.audience,
        "resource_kind": item.resource.kind if item.resource else None,
        "resource_id": str(item.resource.id) if item.resource else None,
        "creator_id": item.resource.creator_id if item.resource else item.creator_id,
        "free": item.resource.free if item.resource else True, "starts_at": item.starts_at,
    } for item in items.values()]
    db.session.execute(sa.delete(Card))
    if full:
        db.session.execute(sa.delete(Entry))
        db.session.execute(sa.delete(Taken))
    else:
        db.session.execute(sa.delete(Entry).where(~Entry.owner.startswith("member:")))
    _insert(Card, cards)
    _insert(Entry, shared)
    written = len(shared)
    ordered = sorted(members)
    for start in range(0, len(ordered), BATCH):
        batch = ordered[start:start + BATCH]
        owners = [owner for uid in batch for owner in (member_owner(uid), member_owner(uid, "course"))]
        if not full:
            db.session.execute(sa.delete(Entry).where(Entry.owner.in_(owners)))
            db.session.execute(sa.delete(Taken).where(Taken.user_id.in_(batch)))
        entries = []
        for uid in batch:
            entries += rows(member_owner(uid), model.recommend("blend", uid, length))
            entries += rows(member_owner(uid, "course"), model.recommend("blend", uid, length, kinds=("course",)))
        _insert(Entry, entries)
        _insert(Taken, [{"user_id": uid, "keys": sorted(model.taken(uid))} for uid in batch])
        written += len(entries)
    if mark is None:
        db.session.add(Mark(name="refresh", at=now))
    else:
        mark.at = now
    return {"members": len(members), "items": len(items), "entries": written, "full": full}


def changed(signals: list[Signal], members: set[int], since: datetime) -> set[int]:
    """The ``members`` whose lists may differ from the last run's, fitted at ``since``: with a
    signal, a "not interested" choice, a "forget" or a profile change after it, or no lists yet."""
    fresh = {s.user_id for s in signals if s.at > since}
    fresh.update(db.session.scalars(sa.select(Dismissal.user_id).where(Dismissal.created_at > since)))
    fresh.update(db.session.scalars(sa.select(Reset.user_id).where(Reset.at > since)))
    fresh.update(db.session.scalars(sa.select(ActivityEvent.user_id).where(
        ActivityEvent.name == "user.profile_updated", ActivityEvent.created_at > since)))
    known = set(db.session.scalars(sa.select(Taken.user_id)))
    return (fresh & members) | (members - known)


def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(table), rows[start:start + 5000])
