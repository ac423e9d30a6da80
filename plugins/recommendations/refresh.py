"""The refresh job: fit the models on what the plugins give now and rewrite the precomputed
lists (for each member, for visitors, beside each item), the public cards and the taken sets
in one transaction, so a page reads a finished set of rows. Safe to run twice."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from kpay.api import db, enqueue, long_running, utcnow
from plugins.recommendations.catalogue import gather
from plugins.recommendations.models import Card, Entry, Taken
from plugins.recommendations.rankers import Pick, Recommender, Tuning

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


@long_running(timedelta(minutes=30))
def refresh() -> dict:
    """Recompute every list; returns how many members, items and rows it wrote."""
    data = gather()
    model = Recommender(data.items, data.signals, data.interests, utcnow(), tuning(), data.dismissed, data.forget)
    length = settings()["list_length"]
    items = model.items
    entries: list[dict] = []

    def add(owner: str, picks: list[Pick]) -> None:
        for position, pick in enumerate(picks):
            because = pick.because
            if pick.reason in ("also", "similar") and because in items:
                because = items[because].title
            entries.append({"owner": owner, "position": position, "key": pick.key, "score": round(pick.score, 6),
                            "reason": pick.reason, "because": because[:240], "action": pick.action})

    public = [key for key in model.popular_ranked if items[key].audience == "public"]
    add(EVERYONE, [Pick(k, model.popular_score[k], "popular") for k in public[:length]])
    members = set(model.history) | set(data.interests) | set(model.forgotten)
    for uid in sorted(members):
        add(member_owner(uid), model.recommend("blend", uid, length))
        add(member_owner(uid, "course"), model.recommend("blend", uid, length, kinds=("course",)))
    for key in sorted(items):
        add(key, model.related(key, length))

    db.session.execute(sa.delete(Entry))
    db.session.execute(sa.delete(Card))
    db.session.execute(sa.delete(Taken))
    cards = [{
        "key": item.key, "kind": item.kind, "title": item.title[:240], "url": item.url, "summary": item.summary[:300],
        "price_minor": item.price_minor, "currency": item.currency, "audience": item.audience,
        "resource_kind": item.resource.kind if item.resource else None,
        "resource_id": str(item.resource.id) if item.resource else None,
        "creator_id": item.resource.creator_id if item.resource else item.creator_id,
        "free": item.resource.free if item.resource else True,
    } for item in items.values()]
    for table, rows in ((Card, cards), (Entry, entries),
                        (Taken, [{"user_id": uid, "keys": sorted(model.taken(uid))} for uid in sorted(members)])):
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(table), rows[start:start + 5000])
    return {"members": len(members), "items": len(items), "entries": len(entries)}
