"""Frozen data types that hooks return; the core renders them, no hook returns HTML."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Setting:
    """A plugin setting: its default, and optionally the values it may take.

    The type a value must have is the type of ``default`` (a list default takes a list of
    strings). ``choices`` restricts the value to a fixed set.
    """

    default: Any
    help: str = ""
    choices: Sequence[Any] | None = None


@dataclass(frozen=True)
class NavItem:
    """A link in the site navigation."""

    label: str
    endpoint: str
    order: int = 100
    icon: str = ""
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Widget:
    """A box in a widget slot: a template rendered in place, or a URL loaded lazily by htmx.

    ``template`` is rendered with ``context`` plus the slot's own context; ``lazy_url`` is
    fetched with ``hx-trigger="revealed"`` and shown as a plain link without JavaScript.
    """

    title: str
    order: int = 100
    template: str | None = None
    lazy_url: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Asset:
    """A stylesheet or script a page needs; ``kind`` is ``"css"`` or ``"js"``."""

    url: str
    kind: str


@dataclass(frozen=True)
class Permission:
    """A named capability and the roles that hold it by default."""

    name: str
    description: str
    roles: tuple[str, ...] = ("owner", "admin")


@dataclass(frozen=True)
class Schedule:
    """A sweep the minute clock runs every ``minutes`` minutes; it must be idempotent."""

    name: str
    func: Callable[[], Any]
    minutes: int = 1


@dataclass(frozen=True)
class SearchDocument:
    """A document for the search index; ``visibility`` is ``public``, ``members`` or a resource key."""

    kind: str
    id: str
    title: str
    body: str
    url: str
    visibility: str = "public"
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    """An activity event after it was committed (see ``kpay.events.emit``)."""

    id: int
    name: str
    user_id: int | None
    subject_type: str | None
    subject_id: str | None
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification members can route: ``default_channel`` is one of ``in_app``
    (the bell only), ``email`` (an e-mail at once), ``digest`` (the e-mail digest) or ``off``."""

    name: str
    label: str
    default_channel: str = "in_app"
    order: int = 100
