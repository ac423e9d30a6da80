"""Gather what the recommender learns from: the plugins' items and signals (through the
hooks this plugin declares), members' profile interests and their "not interested" choices."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from kpay.api import User, db
from plugins.recommendations.models import Dismissal, Reset
from plugins.recommendations.products import owned_by_items
from plugins.recommendations.types import Item, Signal


@dataclass
class Catalogue:
    items: list[Item]
    signals: list[Signal]
    interests: dict[int, list[str]]
    dismissed: dict[int, set[str]]
    forget: dict = field(default_factory=dict)  # member -> forget their signals before this


def gather() -> Catalogue:
    """Everything the models are fitted on, as it is now (without the products other items
    stand for: ``products.owned_by_items``)."""
    hook = current_app.extensions["kpay"].pm.hook
    items = [item for group in hook.kpay_recs_items(item=Item) for item in group or ()]
    owned = {f"product:{pid}" for pid in owned_by_items(items)}  # a course's own product is the course
    items = [item for item in items if item.key not in owned]
    signals = [signal for group in hook.kpay_recs_signals(signal=Signal) for signal in group or ()
               if signal.key not in owned]
    interests = {
        uid: list(tags) for uid, tags in db.session.execute(
            sa.select(User.id, User.interests).where(User.status == "active"))
        if tags
    }
    dismissed: dict[int, set[str]] = defaultdict(set)
    for uid, key in db.session.execute(sa.select(Dismissal.user_id, Dismissal.key)):
        dismissed[uid].add(key)
    forget = {uid: at for uid, at in db.session.execute(sa.select(Reset.user_id, Reset.at))}
    return Catalogue(items, signals, interests, dict(dismissed), forget)
