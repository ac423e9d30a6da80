"""A whoosh rebuild: documents into new, unmerged segments of an empty index.

Each segment's postings stay in memory (``SEGMENT_POSTINGS`` of them, about 250 MB) and are
sorted once when it is written: whoosh's own pool spills every posting to disk with pickle
past its ``limitmb`` and merges the runs back, which took most of a 100,000-document build.
Its writer also reads each posting's field length back from disk; here the lengths are read
once per segment. The segments are kept unmerged (a merge would read every posting again).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Iterator

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.index import TOC, Index, clean_files
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

#: Postings (a document's distinct terms per field) held per segment: about 110 bytes each.
SEGMENT_POSTINGS = 2_000_000
#: Documents between two calls of ``progress``.
BATCH = 500


def build(index: Index, documents: Iterable[dict], progress: Callable[[int], None]) -> int:
    """Add ``documents`` (whoosh fields) to the empty ``index`` as new segments; how many."""
    segments, builder = [], None
    for batch in _batches(iter(documents)):
        for fields in batch:
            builder = builder or _SegmentBuilder(index)
            builder.add_document(**fields)
            if len(builder.pool) >= SEGMENT_POSTINGS:
                segments.append(builder.finish())
                builder = None
        progress(len(batch))
    if builder is not None:
        segments.append(builder.finish())
    toc = TOC(index.schema, segments, 1)
    toc.write(index.storage, index.indexname)
    clean_files(index.storage, index.indexname, 1, segments)
    return sum(segment.doc_count_all() for segment in segments)


def _batches(documents: Iterator[dict]) -> Iterator[list[dict]]:
    while batch := list(itertools.islice(documents, BATCH)):
        yield batch


class _SegmentBuilder(SegmentWriter):
    """A writer of one new segment whose postings stay in memory, and with them the documents'
    field lengths (whoosh's own writer reads each posting's from disk)."""

    def __init__(self, index: Index):
        super().__init__(index, _lk=False)  # the new index is this build's alone
        self.pool = _Postings()

    def per_document_reader(self):
        return _Lengths(super().per_document_reader())

    def finish(self):
        """Write the segment; its ``Segment`` for the table of contents."""
        segment = self._finalize_segment()
        self._finish()
        return segment


class _Postings(list):
    """The postings of one segment: (field, term bytes, document number, weight, value bytes)."""

    add = list.append

    def iter_postings(self) -> Iterator[tuple]:
        # In (field, term, document) order: documents come in order, and two stable sorts on
        # one key each are three times faster than one sort comparing whole tuples.
        self.sort(key=operator.itemgetter(1))
        self.sort(key=operator.itemgetter(0))
        return iter(self)

    def cleanup(self) -> None:
        self.clear()


class _Lengths:
    """A segment's field lengths, read once per field, for the postings' length statistics."""

    def __init__(self, reader):
        self.reader, self.fields = reader, {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        lengths = self.fields.get(fieldname)
        if lengths is None:
            column = self.reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = self.fields[fieldname] = (
                [byte_to_length(b) if b else None for b in column.load()] if column else [])
        return lengths[docnum] if docnum < len(lengths) else default

    def close(self) -> None:
        self.reader.close()

