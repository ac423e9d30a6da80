"""What other plugins give the recommender: items with their features, and members' signals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kpay.api import Resource


@dataclass(frozen=True)
class Item:
    """Something a member may be shown: a course, a circle, a topic, a lecture, a product.

    ``kind`` and ``id`` name it (its key is ``"<kind>:<id>"``); ``title``, ``summary``,
    ``price_minor`` and ``currency`` are its public card and must never hold paid text.
    ``resource`` is what ``can_access`` is asked; ``audience`` says who may see the card at
    all: ``"public"``, ``"members"`` (logged in) or ``"resource"`` (only those ``can_access``
    lets in, e.g. a topic of a paid circle). ``tags`` and ``features`` (``"circle:3"``,
    ``"level:beginner"``...) feed the content match. ``starts_at``, for an item that happens
    at a time (a live lecture), is shown on the card and puts the sooner of equals first.
    """

    kind: str
    id: int
    title: str
    url: str
    resource: Resource | None = None
    audience: str = "public"
    summary: str = ""
    price_minor: int | None = None
    currency: str = ""
    creator_id: int | None = None
    tags: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    created_at: datetime | None = None
    starts_at: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    def all_features(self) -> tuple[str, ...]:
        """Tags (lower-cased, as ``tag:<t>``), the creator and the owner's features."""
        creator = (f"creator:{self.creator_id}",) if self.creator_id is not None else ()
        return tuple(f"tag:{t.strip().lower()}" for t in self.tags if t.strip()) + creator + self.features


#: What a signal's action says about a member and an item, strongest first. Any signal hides
#: the item from the member's own lists (they own it, took it or took part in it).
ACTIONS = ("completed", "attended", "bought", "posted", "enrolled", "rsvped", "joined", "replied", "liked")


@dataclass(frozen=True)
class Signal:
    """Member ``user_id`` did ``action`` (one of ``ACTIONS``) on item ``key`` at ``at``."""

    user_id: int
    key: str
    action: str
    at: datetime
    weight: float = field(default=1.0)
