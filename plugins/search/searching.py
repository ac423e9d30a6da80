"""Answering a query for one searcher: who may read what, the hits, snippets and "did you mean".

Every hit passes ``can_access``: the visibilities a searcher may read are ``public``, then
``members`` once logged in, then each paid place (``course:7``, ``circle:3``) whose bodies
match and for which ``can_access`` holds. Other documents match by title only, and their
hits carry no snippet. When the index cannot answer, the same rules run over the plugins'
documents read from the database, and a rebuild is queued.
"""

from __future__ import annotations

import difflib
import itertools
import math
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from markupsafe import Markup, escape

from kpay.api import can_access_keys
from plugins.search import indexer
from plugins.search.backend import Found, Hit, IndexProblem, Query, count_cap
from plugins.search.tokens import spelling_words, terms, tokens

log = logging.getLogger("kpay.search")

MAX_QUERY = 200
MAX_TERMS = 24
MAX_LIMIT = 50  # hits per page
SNIPPET = 180
WORDS_TTL = 300.0
SIMILAR = 0.75  # how close a word of the titles must be to be offered
MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[#*_`>|~]+")


@dataclass(frozen=True)
class Filters:
    """What narrows a search, from the query string."""

    kinds: tuple[str, ...] = ()
    place: str = ""
    author_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class Answer:
    """A page of results as the template shows them."""

    text: str
    total: int = 0
    hits: list[Shown] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    suggestion: str = ""
    degraded: bool = False
    more: bool = False  # more than ``total`` (the cap): no counts per kind


@dataclass(frozen=True)
class Shown:
    """One hit: ``snippet`` and the highlighted title only when the searcher may read the body."""

    hit: Hit
    title: Markup
    snippet: Markup
    locked: bool


def query_terms(text: str) -> tuple[str, ...]:
    """The distinct terms of a query, in order (at most ``MAX_TERMS``; none for stop words)."""
    return tuple(dict.fromkeys(terms(text.replace("\x00", " ")[:MAX_QUERY])))[:MAX_TERMS]


def readable(user, query: Query, locked_places: set[str]) -> tuple[str, ...]:
    """The visibilities ``user`` may read among ``locked_places``, added to the open ones
    (``can_access`` for all of them at once: a constant number of statements)."""
    places = sorted(key for key in locked_places if key not in ("public", "members", "gone"))
    return query.readable + tuple(sorted(can_access_keys(user, places)))


def open_visibilities(user) -> tuple[str, ...]:
    """What anyone of ``user``'s kind reads without a purchase."""
    return ("public", "members") if getattr(user, "is_authenticated", False) else ("public",)


def search(user, text: str, filters: Filters, offset: int, limit: int) -> Answer:
    """One page of what ``user`` finds for ``text``; an empty answer for a query without terms.

    Only the first ``count_cap()`` results can be paged to, at most ``MAX_LIMIT`` at a time."""
    offset, limit = max(0, min(offset, count_cap() - 1)), max(1, min(limit, MAX_LIMIT))
    text = text.replace("\x00", " ")[:MAX_QUERY].strip()
    words = query_terms(text)
    if not words:
        return Answer(text)
    base = Query(words, open_visibilities(user), filters.kinds, filters.place, filters.author_id,
                 filters.since, filters.until)
    backend = indexer.backend()
    try:
        backend.check()
        # A visitor can read no paid place (can_access needs a member): no need to look for them.
        locked = backend.locked_places(base) if getattr(user, "is_authenticated", False) else set()
        query = Query(**{**base.__dict__, "readable": readable(user, base, locked)})
        found = backend.search(query, offset, limit)
        degraded = False
    except IndexProblem as problem:
        log.warning("search index unusable (%s): answering from the database", problem)
        indexer.queue_rebuild(problem)
        found, query, degraded = scan(user, base, offset, limit)
    answer = Answer(text, found.total, [show(hit, query) for hit in found.hits], found.kinds, degraded=degraded,
                    more=found.more)
    if not degraded and found.total == 0:
        answer.suggestion = suggest(text, backend)
    return answer


def show(hit: Hit, query: Query) -> Shown:
    """The hit as shown: highlighted title and snippet, or the bare title of a locked hit."""
    if hit.visibility not in query.readable:
        return Shown(hit, Markup(escape(hit.title)), Markup(""), True)
    return Shown(hit, highlight(hit.title, query.terms, None), highlight(hit.body, query.terms, SNIPPET), False)


def highlight(text: str, wanted: tuple[str, ...], width: int | None) -> Markup:
    """``text`` (markdown marks dropped) escaped, its matching words in ``<mark>``; with ``width``,
    only the part of that many characters around the first match."""
    plain = " ".join(MARKUP.sub(lambda m: m.group(1) or " ", text).split())
    found = ((start, end) for term, start, end in tokens(plain) if term in wanted)
    begin, end = 0, len(plain)
    if width is None:
        spans = list(found)
    else:
        # Terms come in the order of the text: stop analysing past the snippet (bodies are long).
        first = next(found, None)
        begin = max(0, first[0] - width // 3) if first else 0
        end = min(len(plain), begin + width)
        spans = []
        for start, stop in itertools.chain([first] if first else [], found):
            if start >= end:
                break
            if stop <= end:
                spans.append((start, stop))
    parts, at = [], begin
    for start, stop in _merged(spans):
        parts += [escape(plain[at:start]), Markup("<mark>"), escape(plain[start:stop]), Markup("</mark>")]
        at = stop
    parts.append(escape(plain[at:end]))
    return Markup("").join([Markup("…") if begin else Markup(""), *parts,
                            Markup("…") if end < len(plain) else Markup("")])


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans (Chinese bigrams overlap) as one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def suggest(text: str, backend) -> str:
    """The query with each unknown word replaced by the closest word of the titles, or ""."""
    known = _known_words(backend)
    changed = text
    for word in dict.fromkeys(spelling_words(text)):
        if word not in known.get(len(word), ()):
            close = difflib.get_close_matches(word, _near_in_length(known, len(word)), n=1, cutoff=SIMILAR)
            if close:
                changed = re.sub(re.escape(word), close[0], changed, flags=re.IGNORECASE)
    return changed if changed != text else ""


def _near_in_length(known: dict[int, set[str]], length: int) -> list[str]:
    """The known words that can reach ``SIMILAR``: a ratio 2M/(a+b) needs the shorter word at
    least SIMILAR/(2-SIMILAR) of the longer one, so only those lengths are compared."""
    shortest = math.ceil(length * SIMILAR / (2 - SIMILAR) - 1e-9)
    longest = math.floor(length * (2 - SIMILAR) / SIMILAR + 1e-9)
    return [w for size in range(shortest, longest + 1) for w in known.get(size, ())]


def _known_words(backend) -> dict[int, set[str]]:
    """The titles' words by length, read again every ``WORDS_TTL`` seconds."""
    cache = current_app.extensions.setdefault("search.words", {})
    if cache.get("until", 0) < time.monotonic():
        by_length: dict[int, set[str]] = {}
        for word in backend.title_words():
            by_length.setdefault(len(word), set()).add(word)
        cache["words"] = by_length
        cache["until"] = time.monotonic() + WORDS_TTL
    return cache["words"]


def scan(user, query: Query, offset: int, limit: int) -> tuple[Found, Query, bool]:
    """The degraded answer: the same matching rules over every document the plugins give."""
    wanted = set(query.terms)
    in_title, in_body = [], []
    for document in indexer.documents(None):
        if document.visibility == "gone" or (query.kinds and document.kind not in query.kinds):
            continue
        if query.place and document.place != query.place:
            continue
        if query.author_id is not None and document.author_id != query.author_id:
            continue
        changed = document.updated_at
        if changed and ((query.since and changed < query.since) or (query.until and changed >= query.until)):
            continue
        title_terms = set(terms(document.title))
        if wanted <= title_terms:
            in_title.append(document)
        elif wanted <= title_terms | set(terms(document.body)):
            in_body.append(document)
    allowed = readable(user, query, {d.visibility for d in in_body if d.visibility not in query.readable})
    query = Query(**{**query.__dict__, "readable": allowed})
    matches = in_title + [d for d in in_body if d.visibility in allowed]
    matches.sort(key=lambda d: d.updated_at or datetime.min, reverse=True)
    kinds: dict[str, int] = {}
    for document in matches:
        kinds[document.kind] = kinds.get(document.kind, 0) + 1
    hits = [Hit(f"{d.kind}:{d.id}", d.kind, d.title, d.body, d.url, d.visibility, d.place, d.place_title,
                d.author, d.author_id, d.updated_at) for d in matches[offset:offset + limit]]
    return Found.counted(len(matches), hits, kinds), query, True
