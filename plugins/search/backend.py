"""What a search backend does, whichever stores the index (whoosh or PostgreSQL).

A query is a set of terms (all must match). A document matches when every term is in its
title, or when every term is in its title or body and its ``visibility`` is one the searcher
may read (``Query.readable``): a locked document can be found by its title only, so a hit
list never tells which paid words a body holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from flask import current_app

from kpay.api import SearchDocument

#: Bump when the analyzer or the stored fields change: an older index is then stale and rebuilt.
SCHEMA_VERSION = 2


class IndexProblem(Exception):
    """The index is missing, stale or corrupt; the message says which, for the operator."""


@dataclass(frozen=True)
class Query:
    """What to find: ``terms`` (all required) and the filters, for one searcher."""

    terms: tuple[str, ...]
    readable: tuple[str, ...] = ("public",)
    kinds: tuple[str, ...] = ()
    place: str = ""
    author_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Hit:
    """One stored document that matched."""

    key: str
    kind: str
    title: str
    body: str
    url: str
    visibility: str
    place: str = ""
    place_title: str = ""
    author: str = ""
    author_id: int | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Found:
    """One page of hits, the number of hits in all, and the hits per kind.

    Matches are counted up to ``count_cap()``: past it, ``more`` is set, ``total`` is the cap
    and ``kinds`` is empty (counting them would read every match)."""

    total: int
    hits: list[Hit]
    kinds: dict[str, int] = field(default_factory=dict)
    more: bool = False

    @classmethod
    def counted(cls, count: int, hits: list[Hit], kinds: dict[str, int]) -> Found:
        """The page from ``count`` matches (counting stopped past the cap) and their ``kinds``."""
        cap = count_cap()
        return cls(min(count, cap), hits, kinds, False) if count <= cap else cls(cap, hits, {}, True)


def count_cap() -> int:
    """How many matches a search counts (``[plugins.search] count_cap``): an exact count of
    every match would score or read them all, which is what made big result sets slow."""
    return current_app.config["KPAY"]["plugins"]["search"]["count_cap"]


@dataclass(frozen=True)
class Status:
    """What ``kpay search status`` prints."""

    backend: str
    documents: int
    size_bytes: int
    last_update: datetime | None
    location: str
    watermark: datetime | None = None


class Writer(Protocol):
    def apply(self, documents: Iterable[SearchDocument]) -> int:
        """Add or replace every document (dropping the ``gone`` ones); the number applied."""


class Backend(Protocol):
    name: str

    def check(self) -> None:
        """Raise ``IndexProblem`` when the index cannot answer."""

    def search(self, query: Query, offset: int, limit: int) -> Found:
        """One page of hits, best first."""

    def locked_places(self, query: Query) -> set[str]:
        """The visibilities outside ``query.readable`` of documents whose bodies match."""

    def title_words(self) -> list[str]:
        """The unstemmed words of the titles (what "did you mean" offers)."""

    def writing(self) -> AbstractContextManager[tuple[Writer, datetime | None]]:
        """The one writer and the watermark, under the index's write lock; commits on exit."""

    def set_watermark(self, writer: Writer, when: datetime) -> None:
        """Record that every change before ``when`` is in the index (committed with the writer)."""

    def rebuild(self, documents: Iterator[SearchDocument], watermark: datetime,
                progress: Callable[[int], None]) -> int:
        """Build a new index from ``documents`` beside the current one and swap it in."""

    def status(self) -> Status:
        """Documents, size and last update."""


def document_key(document: SearchDocument) -> str:
    """How the index names a document: ``kind:id``."""
    return f"{document.kind}:{document.id}"
