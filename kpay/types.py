"""Frozen data types that hooks return; the core renders them, no hook returns HTML."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any


@dataclass(frozen=True)
class Setting:
    """A plugin setting: its default, and optionally the values it may take.

    The type a value must have is the type of ``default`` (a list default takes a list of
    strings). ``choices`` restricts the value to a fixed set; ``min`` and ``max`` bound a
    number; ``validate(value)`` returns a message saying what is wrong, or None when the
    value is good. A value that fails any of them stops start-up with a ``ConfigError``
    naming the key (``plugins.checkin.points: expected at least 1, got 0``).
    """

    default: Any
    help: str = ""
    choices: Sequence[Any] | None = None
    min: float | None = None
    max: float | None = None
    validate: Callable[[Any], str | None] | None = None
    # How the admin's settings form edits it: "" (by its type), "textarea", "image" (an
    # uploaded picture; the value is its file name in the instance folder) or "secret"
    # (kept in instance/secrets.toml, mode 0600, and never shown again in full).
    field: str = ""


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

    ``template`` is rendered in place and sees ``widget`` (this, with the ``context`` the plugin
    gave) and ``context`` (what the slot passes); ``lazy_url`` is fetched with
    ``hx-trigger="revealed"`` and shown as a plain link without JavaScript.
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
    """A sweep the minute clock runs every ``minutes`` minutes, or daily ``at="HH:MM"`` in the
    site's time zone; it must be idempotent.

    Periods are aligned to the clock: ``minutes=N`` runs in the first tick of every N-minute
    period counted from 1970-01-01 00:00 UTC (``60``: each hour at :00, ``1440``: at 00:00 UTC;
    a period that does not divide a day drifts across days). ``at`` runs in the first tick at
    or after that local time each day, so a clock that was down then runs it when it is back.
    """

    name: str
    func: Callable[[], Any]
    minutes: int = 1
    at: str | None = None

    def __post_init__(self):
        if self.minutes < 1:
            raise ValueError(f"schedule {self.name}: minutes must be at least 1, got {self.minutes!r}")
        if self.at is not None:
            hours, _, minutes = self.at.partition(":")
            if not (len(hours) == len(minutes) == 2 and hours.isdigit() and minutes.isdigit()
                    and int(hours) < 24 and int(minutes) < 60):
                raise ValueError(f"schedule {self.name}: at must be HH:MM (00:00 to 23:59), got {self.at!r}")

    def slot(self, now: datetime, zone: tzinfo) -> int | None:
        """The period ``now`` falls in (claimed once across clocks), or None before ``at`` today."""
        if self.at is None:
            return int(now.timestamp() // 60) // self.minutes
        local = now.astimezone(zone)
        return local.toordinal() if local.strftime("%H:%M") >= self.at else None


@dataclass(frozen=True)
class SearchDocument:
    """A document for the search index (``kpay_search_documents``).

    ``visibility`` is ``public``, ``members``, a ``Resource.key`` (``course:7``) whose
    ``can_access`` decides, or ``gone`` for a document the index must drop. ``place`` names
    where it lives (``circle:3``, ``course:7``; ``place_title`` shows it) and ``author_id`` /
    ``author`` who wrote it: search filters and result lines use them.
    """

    kind: str
    id: str
    title: str
    body: str
    url: str
    visibility: str = "public"
    updated_at: datetime | None = None
    place: str = ""
    place_title: str = ""
    author_id: int | None = None
    author: str = ""


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


@dataclass(frozen=True)
class Resource:
    """Something a plugin may sell access to, named ``kind`` and ``id`` (``"course"``, 7).

    ``creator_id`` is the member who made it (they always have access); ``free`` opens it to
    everyone the plugin already lets see it. Otherwise ``kpay.commerce.can_access`` asks the
    plugins which products unlock it (``kpay_resource_products``).
    """

    kind: str
    id: int | str
    creator_id: int | None = None
    free: bool = False

    @property
    def key(self) -> str:
        """``kind:id``, as search documents and caches name the resource."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class LessonSource:
    """Something of a plugin a creator may make a course lesson of: ``key`` is its
    ``Resource.key`` (``lecture:12``), ``title`` what the lesson form shows for it."""

    key: str
    title: str
    order: int = 100


@dataclass(frozen=True)
class AccessGrant:
    """A plugin's answer to ``kpay_access_grants``: whether it opens a resource to a member
    besides the products that unlock it, and ``note``, what the resource's locked page tells
    them (``"Opens at level 3: Contributor"``; empty for nothing to say)."""

    granted: bool
    note: str = ""


@dataclass(frozen=True)
class UploadFolder:
    """A storage folder holding uploads: keys ``<prefix>/...``.

    ``in_use()`` gives the keys still referenced by rows, or key prefixes ending in ``/``
    (a video's HLS folder); every other file in the folder is an orphan.
    """

    prefix: str
    description: str
    in_use: Callable[[], Iterable[str]]


@dataclass(frozen=True)
class PaymentProvider:
    """A way to pay, offered at checkout in ``order`` order.

    ``start(order)`` returns the response that takes the member to pay: a redirect to the
    provider, or a page of the plugin's. The plugin later calls
    ``kpay.commerce.orders.mark_paid`` once the money is there. ``refund(order, amount_minor,
    key)``, when given, returns the money through the provider (idempotently for ``key``) and
    returns the provider's refund reference; without it an admin's refund is recorded only.
    ``test_mode`` providers take no real money and are refused when ``env`` is production.
    """

    name: str
    label: str
    start: Callable[[Any], Any]
    order: int = 100
    description: str = ""
    refund: Callable[[Any, int, str], str | None] | None = None
    test_mode: bool = False
