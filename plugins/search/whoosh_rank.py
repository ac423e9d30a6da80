"""Matching and ranking a query over a whoosh index's postings with numpy.

whoosh's own search scores every match in Python, one posting at a time, to pick the top
ten: a common word matches tens of thousands of documents (hundreds of ms at 100,000).
Here each term's posting list is read a block at a time into arrays, and matching (every
term in the title, or in title or body for a readable document), BM25F scores (whoosh's
formula, B 0.75, K1 1.2), counts per kind and the top hits are array operations.

What does not change between queries is cached per segment (segments are immutable; their
deletions are part of the key): field lengths, each document's visibility and kind; the
decoded postings of recent terms are kept up to ``POSTINGS_BUDGET`` postings.
"""

from __future__ import annotations

import io
import math
import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.system import unpack_int
from whoosh.util.numeric import byte_to_length

from plugins.search.backend import Query

B, K1 = 0.75, 1.2
FIELDS = ("title", "body")
POSTINGS_BUDGET = 2 << 20  # decoded postings kept (5 bytes each: 10 MB; a web worker stays under 150 MB)
_LENGTHS = np.array([byte_to_length(n) for n in range(256)], dtype=np.float32)
_DOUBLE = struct.Struct(">d")
_ONE = b"G" + _DOUBLE.pack(1.0)
_FIRST = {75: (1, struct.Struct("<B").unpack), 77: (2, struct.Struct("<H").unpack),  # K, M, J: a pickled int
          74: (4, struct.Struct("<i").unpack)}
_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint8))


@dataclass
class Segment:
    """What every query needs of one segment: lengths, visibility and kind per document."""

    size: int
    alive: np.ndarray  # bool: not deleted
    live: int  # how many are not deleted: deletions only grow, so this says which deletions ``alive`` holds
    lengths: dict[str, np.ndarray]  # field -> float32 length per document
    totals: dict[str, int]  # field -> the sum of its lengths, as whoosh keeps it
    codes: dict[str, tuple[list[str], np.ndarray]]  # field -> (names, int32 code per document, -1: none)

    def of(self, field: str, values) -> np.ndarray:
        """Whether each document's ``field`` (visibility or kind) is one of ``values``."""
        names, codes = self.codes[field]
        wanted = np.zeros(len(names) + 1, dtype=bool)  # the last entry: code -1, none
        wanted[[n for n, name in enumerate(names) if name in values]] = True
        return wanted[codes]

    def has(self, ids: np.ndarray) -> np.ndarray:
        """Whether each document is among ``ids``."""
        mask = np.zeros(self.size, dtype=bool)
        mask[ids] = True
        return mask


class Ranker:
    """Segment arrays and decoded postings, shared by the threads of a process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._segments: dict[str, Segment] = {}
        self._postings: OrderedDict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._held = 0

    def segment(self, reader) -> Segment:
        """The segment's arrays; a commit that deleted documents of it makes only ``alive`` anew
        (segments are immutable but for their deletions)."""
        key = reader.segment().segment_id()
        found = self._segments.get(key)
        if found is None or found.live != reader.doc_count():
            found = _load_segment(reader) if found is None else replace(
                found, alive=_alive(reader, found.size), live=reader.doc_count())
            with self._lock:
                if key not in self._segments and len(self._segments) > 64:  # older indexes' segments
                    self._segments.clear()
                self._segments[key] = found
        return found

    def postings(self, reader, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The document numbers (ascending, deleted ones included) and term frequencies
        (up to 255: BM25 has long saturated)."""
        key = (reader.segment().segment_id(), field, term)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = _read_postings(reader, field, term)
        with self._lock:
            if key in self._postings:  # another thread read it meanwhile
                return found
            self._postings[key] = found
            self._held += len(found[0]) + 1  # + 1: absent terms are remembered too
            while self._held > POSTINGS_BUDGET and len(self._postings) > 1:
                self._held -= len(self._postings.popitem(last=False)[1][0]) + 1
        return found


def _read_postings(reader, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """A term's postings, from the whole list's bytes at once (whoosh's matcher seeks and
    unpickles block by block); deleted documents are left in, for the caller to mask."""
    terms = reader._terms
    try:
        info = terms.term_info(field, reader._text_to_bytes(field, term))
    except (KeyError, TermNotFound):
        return _EMPTY
    if info.is_inlined():
        ids, weights, _ = info.inlined_postings()
        return np.array(ids, dtype=np.int32), _frequencies(weights)
    offset, length = info.extent()
    if isinstance(length, tuple):  # whoosh reads it back unpacked as a 1-tuple
        length = length[0]
    raw = terms._postfile.get(offset, length)
    stream = io.BytesIO(raw)
    stream.seek(4)  # the postings' magic tag
    narrow: list[bytes] = []  # each block's ids, a byte each (zeros for a block read by pickle)
    weights: list[bytes] = []  # each block's weights, a float opcode and 8 bytes each (or zeros)
    heads: list[tuple[int, int]] = []  # (position, first id less the last id of the block before)
    unpickled: list[tuple[int, tuple, tuple]] = []  # (position, ids, weights) of the other blocks
    at, last, more = 0, 0, True
    while more:
        size = unpack_int(stream.read(4))[0]
        start, more = stream.tell(), size > 0
        # (postings, last id, max weight, compression, min and max length byte), then the data
        count, block_last, _, compression, _, _ = pickle.load(stream)
        data = raw[stream.tell():start + abs(size)]
        data = zlib.decompress(data) if compression else data
        block = _block(data, count)
        if block is None:
            ids, floats = pickle.loads(data)[:2]
            floats = (floats or 1.0,) * count if floats is None or isinstance(floats, float) else floats
            unpickled.append((at, ids, floats))
            block = (ids[0], bytes(count), bytes(9 * count))
        heads.append((at, block[0] - last))
        narrow.append(block[1])
        weights.append(block[2])
        at, last = at + count, block_last
        stream.seek(start + abs(size))
    ids = np.frombuffer(b"".join(narrow), dtype=np.uint8).astype(np.int32)
    frequencies = np.frombuffer(b"".join(weights), dtype=np.uint8).reshape(-1, 9)[:, 1:].copy().view(">f8").ravel()
    for where, block_ids, block_weights in unpickled:
        ids[where:where + len(block_ids)] = block_ids
        frequencies[where:where + len(block_ids)] = block_weights
    where, head = np.array(heads, dtype=np.int64).T
    ids[where] = head  # a block's first id is absolute: one running sum for all blocks
    return np.cumsum(ids, dtype=np.int32), _frequencies(frequencies)


def _block(data: bytes, count: int) -> tuple[int, bytes, bytes] | None:
    """A block's first id, its ids a byte each (the first one's byte stands in) and its
    weights (a float opcode and 8 bytes each), when the block has its usual shape; else None.

    The block is a pickle of (delta-coded ids, weights: None when all 1, a float when all
    equal, else a tuple, values); unpickling its hundreds of int and float objects was most
    of the cost of reading a common term, so the usual shape (every delta after the first
    under 256) is read straight from the bytes."""
    first = _FIRST.get(data[3]) if count > 3 and data[2] == 40 else None  # "(": a tuple of more than 3
    if first is None:
        return None
    width, unpack = first
    at = 4 + width
    end = at + 2 * (count - 1)
    if data[at:end:2] != b"K" * (count - 1) or data[end:end + 2] != b"tq":
        return None
    weight = end + 3
    if data[weight] == 78:  # "N": None
        weights = _ONE * count
    elif data[weight] == 71:  # "G": one float for all
        weights = data[weight:weight + 9] * count
    elif data[weight] == 40 and data[weight + 1:weight + 1 + 9 * count:9] == b"G" * count:
        weights = data[weight + 1:weight + 1 + 9 * count]
    else:
        return None
    return unpack(data[4:at])[0], data[at - 1:end:2], weights


def _frequencies(weights) -> np.ndarray:
    return np.minimum(np.asarray(weights, dtype=np.float32), 255).astype(np.uint8)


def _alive(reader, size: int) -> np.ndarray:
    alive = np.ones(size, dtype=bool)
    if reader.has_deletions():
        alive[list(reader.deleted_docs_set)] = False
    return alive


def _load_segment(reader) -> Segment:
    size = reader.doc_count_all()
    lengths = {field: _lengths(reader, field, size) for field in FIELDS}
    codes = {}
    for field in ("visibility", "kind"):
        names, code = [], np.full(size, -1, dtype=np.int32)  # a paid place each: more than int16 holds
        for term in reader.lexicon(field):
            name = term.decode()
            code[_read_postings(reader, field, name)[0]] = len(names)
            names.append(name)
        codes[field] = (names, code)
    return Segment(size, _alive(reader, size), reader.doc_count(), lengths, {field: reader.field_length(field) for field in FIELDS}, codes)


def _lengths(reader, field: str, size: int) -> np.ndarray:
    """The field's length per document (whoosh keeps it as one byte per document)."""
    column = reader._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
    raw = np.zeros(size, dtype=np.uint8)
    if column is not None and column._count:
        raw[:column._count] = np.frombuffer(column._dbfile.get(column._basepos, column._count), dtype=np.uint8)
    return _LENGTHS[raw]


@dataclass
class Ranked:
    """The best documents (global document numbers, best first), all matches and per kind."""

    docnums: list[int]
    count: int
    kinds: dict[str, int]


def rank(ranker: Ranker, searcher, query: Query, best: int) -> Ranked:
    """The ``best`` matches of ``query`` by BM25F. A readable document scores its title and
    body terms, plus its title terms again when they hold every term (whoosh's sum over
    both branches of the query); a locked one only its title terms (its body never counts)."""
    segments = _segments(searcher)
    if not segments or not query.terms:
        return Ranked([], 0, {})
    postings = {(n, field, term): ranker.postings(reader, field, term)
                for n, (_, _, reader) in enumerate(segments) for field in FIELDS for term in query.terms}
    frequency: dict[tuple[str, str], int] = {}
    for (_, field, term), (ids, _) in postings.items():
        frequency[field, term] = frequency.get((field, term), 0) + len(ids)
    documents = searcher.doc_count_all()
    idf = {key: math.log(documents / (found + 1)) + 1 for key, found in frequency.items()}  # whoosh's idf
    loaded = [ranker.segment(reader) for _, _, reader in segments]
    average = {field: sum(s.totals[field] for s in loaded) / (documents or 1) or 1.0 for field in FIELDS}
    scores, docnums, count, kinds = [], [], 0, {}
    for n, ((sub, offset, reader), segment) in enumerate(zip(segments, loaded, strict=True)):
        title, body = (_field(segment, field, [(postings[n, field, term], idf[field, term]) for term in query.terms],
                              average[field]) for field in FIELDS)
        opened = (title[0] | body[0]).all(axis=0) & segment.of("visibility", query.readable)
        in_title = title[0].all(axis=0)
        found = (in_title | opened) & segment.alive & _filtered(ranker, sub, reader, segment, query)
        score = title[1] * in_title + (title[1] + body[1]) * opened
        docs = np.flatnonzero(found)
        count += len(docs)
        names, codes = segment.codes["kind"]
        for code, number in enumerate(np.bincount(codes[docs][codes[docs] >= 0], minlength=len(names))):
            if number:
                kinds[names[code]] = kinds.get(names[code], 0) + int(number)
        scores.append(score[docs])
        docnums.append(docs + offset)
    score, docs = np.concatenate(scores), np.concatenate(docnums)
    if len(docs) > best:  # the best scores, with every document tied at the last of them
        kept = score >= np.partition(score, len(score) - best)[len(score) - best]
        score, docs = score[kept], docs[kept]
    order = np.lexsort((docs, -score))[:best]  # ties: the earlier document first, as whoosh, on every page alike
    return Ranked(docs[order].tolist(), count, kinds)


def locked_places(ranker: Ranker, searcher, query: Query) -> set[str]:
    """The visibilities outside ``query.readable`` of documents holding every term anywhere."""
    places: set[str] = set()
    for _, _, reader in _segments(searcher) if query.terms else []:
        segment = ranker.segment(reader)
        anywhere = np.ones(segment.size, dtype=bool)
        for term in query.terms:
            anywhere &= segment.has(ranker.postings(reader, "title", term)[0]) | segment.has(
                ranker.postings(reader, "body", term)[0])
        names, codes = segment.codes["visibility"]
        found = codes[anywhere & segment.alive]
        places.update(names[code] for code in np.unique(found[found >= 0]))
    return places - set(query.readable)


def _segments(searcher) -> list:
    """(searcher, first document number, reader) of each segment (an empty index has none)."""
    return [(sub, offset, sub.reader()) for sub, offset in searcher.subsearchers or [(searcher, 0)]
            if sub.reader().segment() is not None]


def _field(segment: Segment, field: str, terms: list, average: float) -> tuple[np.ndarray, np.ndarray]:
    """Which documents hold each term (postings and idf) in ``field`` (a row per term), and
    their summed BM25F."""
    has = np.zeros((len(terms), segment.size), dtype=bool)
    score = np.zeros(segment.size, dtype=np.float32)
    for row, ((ids, frequency), idf) in enumerate(terms):
        has[row, ids] = True
        norm = K1 * ((1 - B) + B * segment.lengths[field][ids] / average)
        score[ids] += idf * (frequency * (K1 + 1)) / (frequency + norm)
    return has, score


def _filtered(ranker, sub, reader, segment, query: Query) -> np.ndarray | bool:
    """The documents the query's filters keep (True when it has none)."""
    kept: np.ndarray | bool = True
    if query.kinds:
        kept = segment.of("kind", query.kinds)
    for field, value in (("place", query.place), ("author_id", "" if query.author_id is None else
                                                  str(query.author_id))):
        if value:
            kept = kept & segment.has(ranker.postings(reader, field, value)[0])
    if query.since or query.until:
        # whoosh's range is inclusive; ``until`` is excluded, as the other backend does
        dated = wq.DateRange("updated", query.since, query.until, endexcl=True)
        kept = kept & segment.has(np.fromiter(dated.docs(sub), dtype=np.int64))
    return kept
